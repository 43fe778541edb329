import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import type { DeadLetter, PartitionProgress, SubscriptionDefinition } from "./model";
import type { SubscriptionStore } from "./subscription-store";

type Key = [string, string] | [string, string, string];

const end = "\uffff";

/**
 * Subscriptions on local disk (LMDB, synchronous commits: a write resolves
 * after its fsync), beside the embedded channel and catalog.
 */
export class EmbeddedSubscriptionStore implements SubscriptionStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly entries: Database<unknown, Key>,
  ) {}

  static open(dataDir: string): EmbeddedSubscriptionStore {
    const env = open({ path: join(dataDir, "subscriptions"), maxDbs: 2 });
    return new EmbeddedSubscriptionStore(env, env.openDB<unknown, Key>({ name: "entries", encoding: "json", keyEncoding: "ordered-binary" }));
  }

  create(definition: SubscriptionDefinition): Promise<boolean> {
    return this.entries.transaction(() => {
      if (this.entries.get(["def", definition.name]) !== undefined) return false;
      void this.entries.put(["def", definition.name], definition);
      return true;
    });
  }

  get(name: string): SubscriptionDefinition | undefined {
    return this.entries.get(["def", name]) as SubscriptionDefinition | undefined;
  }

  list(): SubscriptionDefinition[] {
    return [...this.entries.getRange({ start: ["def", ""], end: ["def", end] })].map((e) => e.value as SubscriptionDefinition);
  }

  delete(name: string): Promise<boolean> {
    return this.entries.transaction(() => {
      if (this.entries.get(["def", name]) === undefined) return false;
      void this.entries.remove(["def", name]);
      for (const space of ["progress", "dead"]) {
        for (const key of this.entries.getKeys({ start: [space, name, ""], end: [space, name, end] })) void this.entries.remove(key);
      }
      return true;
    });
  }

  progress(name: string): Map<string, PartitionProgress> {
    return new Map([...this.entries.getRange({ start: ["progress", name, ""], end: ["progress", name, end] })].map((e) => [decodeURIComponent(e.key[2]!), e.value as PartitionProgress]));
  }

  async saveProgress(name: string, partition: string, progress: PartitionProgress): Promise<void> {
    // Partition ids hold a NUL, which a key part must not.
    await this.entries.put(["progress", name, encodeURIComponent(partition)], progress);
  }

  deadLetters(name: string): DeadLetter[] {
    return [...this.entries.getRange({ start: ["dead", name, ""], end: ["dead", name, end] })].map((e) => e.value as DeadLetter);
  }

  async putDeadLetter(name: string, letter: DeadLetter): Promise<void> {
    await this.entries.put(["dead", name, letter.id], letter);
  }

  async removeDeadLetter(name: string, id: string): Promise<void> {
    await this.entries.remove(["dead", name, id]);
  }

  async refresh(): Promise<void> {
    // One process owns the files: every write is already visible.
  }

  async join(_definition: SubscriptionDefinition, onAssigned: (owned: "all") => void): Promise<() => Promise<void>> {
    onAssigned("all");
    return async () => undefined;
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
