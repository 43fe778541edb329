import { randomUUID } from "node:crypto";
import { CompactedTopicLog } from "@meshstream/channel";
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import type { CatalogStore, StoredEntry } from "./catalog-store";
import { CatalogError, type AccessRevision, type DataProduct, type EventType, type SchemaVersion } from "./model";

export interface KafkaCatalogStoreOptions {
  readonly brokers: readonly string[];
  /** TLS and SASL to the brokers, as kafkajs takes them. */
  readonly ssl?: KafkaConfig["ssl"];
  readonly sasl?: KafkaConfig["sasl"];
  /** The compacted topic that holds the catalog. */
  readonly topic: string;
  readonly replicationFactor?: number;
  /** `min.insync.replicas` of the topic (the broker's default when absent). */
  readonly minInsyncReplicas?: number;
  /** How long a write waits to read its own record back. Default 30 s. */
  readonly readBackTimeoutMs?: number;
}

type Entry = DataProduct | EventType | SchemaVersion | AccessRevision;

interface Accepted {
  readonly proposal: string;
  readonly entry: Entry;
}

/**
 * The catalog in a compacted Kafka topic (one partition), so that several
 * platform instances share it.
 *
 * Every write is a proposal: a record keyed `<entry key> <proposal id>`.
 * Every instance applies the topic in log order with the same rule — the
 * first proposal for a free key wins (a schema version also needs its
 * predecessor), later ones for that key are ignored — so all instances
 * agree on every winner, and a fresh instance replaying the topic decides
 * the same way. The writer waits until it has applied its own record (read
 * your write) and answers whether it won. Proposal keys are unique, so
 * compaction never replaces a winner; a loser tombstones its own record.
 * Records written by earlier versions (keyed by the entry key alone) are
 * read as proposals too.
 */
export class KafkaCatalogStore implements CatalogStore {
  private readonly entries = new Map<string, Accepted>();
  /** Tombstones of lost proposals still being sent: close() lets them finish. */
  private readonly cleanups = new Set<Promise<unknown>>();
  /** Proposals of this instance not yet applied: what others wrote is the rest. */
  private readonly mine = new Set<string>();
  private readonly others = new Set<(entry: StoredEntry) => void>();
  /** Set by open(): the log applies its records through this store, which must exist first. */
  private log!: CompactedTopicLog;

  private constructor(
    private readonly topic: string,
    private readonly readBackTimeoutMs: number,
  ) {}

  static async open(options: KafkaCatalogStoreOptions): Promise<KafkaCatalogStore> {
    const kafka = new Kafka({ clientId: "meshstream-catalog", brokers: [...options.brokers], ssl: options.ssl, sasl: options.sasl, logLevel: logLevel.NOTHING });
    const store = new KafkaCatalogStore(options.topic, options.readBackTimeoutMs ?? 30_000);
    // Loaded once everything written before the start is applied.
    store.log = await CompactedTopicLog.open(kafka, options.topic, options, (offset, key, value) => store.apply(offset, key, value), {
      groupPrefix: "meshstream-catalog",
      timeoutMs: store.readBackTimeoutMs,
      timedOut: (offset) => store.readBackTimedOut(offset),
    });
    return store;
  }

  createProduct(product: DataProduct): Promise<boolean> {
    return this.propose(`product/${product.name}`, product);
  }

  getProduct(name: string): DataProduct | undefined {
    return this.entries.get(`product/${name}`)?.entry as DataProduct | undefined;
  }

  listProducts(): DataProduct[] {
    return this.list<DataProduct>("product/");
  }

  createEventType(eventType: EventType): Promise<boolean> {
    return this.propose(`type/${eventType.type}`, eventType);
  }

  getEventType(type: string): EventType | undefined {
    return this.entries.get(`type/${type}`)?.entry as EventType | undefined;
  }

  listEventTypes(): EventType[] {
    return this.list<EventType>("type/");
  }

  createSchemaVersion(version: SchemaVersion): Promise<boolean> {
    return this.propose(numberedKey("schema", version.type, version.version), version);
  }

  listSchemaVersions(type: string): SchemaVersion[] {
    // A type may contain "/": the prefix of type "a" also covers type "a/b".
    return this.list<SchemaVersion>(`schema/${type}/`).filter((v) => v.type === type);
  }

  createAccessRevision(revision: AccessRevision): Promise<boolean> {
    return this.propose(numberedKey("access", revision.product, revision.revision), revision);
  }

  latestAccessRevision(product: string): AccessRevision | undefined {
    return this.list<AccessRevision>(`access/${product}/`)
      .filter((r) => r.product === product)
      .at(-1);
  }

  watchOthers(listener: (entry: StoredEntry) => void): () => void {
    this.others.add(listener);
    return () => this.others.delete(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.cleanups);
    await this.log.close();
  }

  /** The one rule every instance applies, in log order. */
  private apply(offset: bigint, recordKey: string, value: Buffer | null): void {
    if (recordKey && value) {
      const space = recordKey.lastIndexOf(" ");
      const key = space < 0 ? recordKey : recordKey.slice(0, space);
      const proposal = space < 0 ? `offset ${offset}` : recordKey.slice(space + 1);
      if (!this.entries.has(key) && this.follows(key)) {
        const entry = JSON.parse(value.toString()) as Entry;
        this.entries.set(key, { proposal, entry });
        if (!this.mine.has(proposal)) for (const listener of this.others) listener({ kind: key.slice(0, key.indexOf("/")), value: entry } as StoredEntry);
      }
    }
  }

  /** A schema version or an access revision is accepted only after its predecessor: numbers stay dense. */
  private follows(key: string): boolean {
    const kind = key.slice(0, key.indexOf("/"));
    if (kind !== "schema" && kind !== "access") return true;
    const slash = key.lastIndexOf("/");
    const number = Number(key.slice(slash + 1));
    return number <= 1 || this.entries.has(numberedKey(kind, key.slice(kind.length + 1, slash), number - 1));
  }

  private async propose(key: string, entry: Entry): Promise<boolean> {
    const proposal = randomUUID();
    const recordKey = `${key} ${proposal}`;
    this.mine.add(proposal);
    try {
      const offset = await this.log.send(recordKey, JSON.stringify(entry));
      await this.log.appliedUpTo(offset);
    } catch (err) {
      if (err instanceof CatalogError) throw err;
      throw new CatalogError("unavailable", `the catalog topic ${this.topic} did not take the write: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.mine.delete(proposal);
    }
    const won = this.entries.get(key)?.proposal === proposal;
    // A losing proposal has no use: let compaction remove it.
    if (!won) {
      const cleanup = this.log.send(recordKey, null).catch(() => undefined);
      this.cleanups.add(cleanup);
      void cleanup.finally(() => this.cleanups.delete(cleanup));
    }
    return won;
  }

  private readBackTimedOut(offset: bigint): CatalogError {
    return new CatalogError("unavailable", `the catalog topic ${this.topic} did not return offset ${offset} within ${this.readBackTimeoutMs} ms; the write may still take effect: read before retrying`);
  }

  private list<T>(prefix: string): T[] {
    return [...this.entries]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, v]) => v.entry as T);
  }
}

/** A schema version's or an access revision's key, padded so that the text order of keys is the number order. */
function numberedKey(kind: "schema" | "access", name: string, n: number): string {
  return `${kind}/${name}/${String(n).padStart(10, "0")}`;
}
