import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import type { CatalogStore } from "./catalog-store";
import type { AccessRevision, DataProduct, EventType, SchemaVersion } from "./model";

type Key = [string, string] | [string, string, number];

/**
 * The catalog on local disk (LMDB, synchronous commits), beside the embedded
 * channel. A conditional write is one LMDB write transaction: its check and
 * its put see no other writer in between, in this process or any other.
 */
export class EmbeddedCatalogStore implements CatalogStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly entries: Database<unknown, Key>,
  ) {}

  static open(dataDir: string): EmbeddedCatalogStore {
    const env = open({ path: join(dataDir, "catalog"), maxDbs: 2 });
    return new EmbeddedCatalogStore(env, env.openDB<unknown, Key>({ name: "entries", encoding: "json", keyEncoding: "ordered-binary" }));
  }

  createProduct(product: DataProduct): Promise<boolean> {
    return this.createIf(["product", product.name], product);
  }

  getProduct(name: string): DataProduct | undefined {
    return this.entries.get(["product", name]) as DataProduct | undefined;
  }

  listProducts(): DataProduct[] {
    return this.range<DataProduct>("product");
  }

  createEventType(eventType: EventType): Promise<boolean> {
    return this.createIf(["type", eventType.type], eventType);
  }

  getEventType(type: string): EventType | undefined {
    return this.entries.get(["type", type]) as EventType | undefined;
  }

  listEventTypes(): EventType[] {
    return this.range<EventType>("type");
  }

  createSchemaVersion(version: SchemaVersion): Promise<boolean> {
    const previous: Key | undefined = version.version > 1 ? ["schema", version.type, version.version - 1] : undefined;
    return this.createIf(["schema", version.type, version.version], version, previous);
  }

  listSchemaVersions(type: string): SchemaVersion[] {
    return [...this.entries.getRange({ start: ["schema", type, 0], end: ["schema", type, Number.MAX_SAFE_INTEGER] })].map((e) => e.value as SchemaVersion);
  }

  createAccessRevision(revision: AccessRevision): Promise<boolean> {
    const previous: Key | undefined = revision.revision > 1 ? ["access", revision.product, revision.revision - 1] : undefined;
    return this.createIf(["access", revision.product, revision.revision], revision, previous);
  }

  latestAccessRevision(product: string): AccessRevision | undefined {
    const [last] = this.entries.getRange({ start: ["access", product, Number.MAX_SAFE_INTEGER], end: ["access", product, 0], reverse: true, limit: 1 });
    return last?.value as AccessRevision | undefined;
  }

  async close(): Promise<void> {
    await this.env.close();
  }

  /** Puts `value` at `key` when the key is free and `after` (if given) is taken, in one transaction. */
  private createIf(key: Key, value: unknown, after?: Key): Promise<boolean> {
    return this.entries.transaction(() => {
      if (this.entries.doesExist(key) || (after && !this.entries.doesExist(after))) return false;
      void this.entries.put(key, value);
      return true;
    });
  }

  private range<T>(kind: string): T[] {
    // "\uffff" sorts after every name: the whole kind, in name order.
    return [...this.entries.getRange({ start: [kind, ""], end: [kind, "\uffff"] })].map((e) => e.value as T);
  }
}
