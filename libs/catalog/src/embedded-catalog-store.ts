import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import type { CatalogStore } from "./catalog-store";
import type { DataProduct, EventType, SchemaVersion } from "./model";

type Key = [string, string] | [string, string, number];

/** The catalog on local disk (LMDB, synchronous commits), beside the embedded channel. */
export class EmbeddedCatalogStore implements CatalogStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly entries: Database<unknown, Key>,
  ) {}

  static open(dataDir: string): EmbeddedCatalogStore {
    const env = open({ path: join(dataDir, "catalog"), maxDbs: 2 });
    return new EmbeddedCatalogStore(env, env.openDB<unknown, Key>({ name: "entries", encoding: "json", keyEncoding: "ordered-binary" }));
  }

  async putProduct(product: DataProduct): Promise<void> {
    await this.entries.put(["product", product.name], product);
  }

  getProduct(name: string): DataProduct | undefined {
    return this.entries.get(["product", name]) as DataProduct | undefined;
  }

  listProducts(): DataProduct[] {
    return this.range<DataProduct>("product");
  }

  async putEventType(eventType: EventType): Promise<void> {
    await this.entries.put(["type", eventType.type], eventType);
  }

  getEventType(type: string): EventType | undefined {
    return this.entries.get(["type", type]) as EventType | undefined;
  }

  listEventTypes(): EventType[] {
    return this.range<EventType>("type");
  }

  async putSchemaVersion(version: SchemaVersion): Promise<void> {
    await this.entries.put(["schema", version.type, version.version], version);
  }

  listSchemaVersions(type: string): SchemaVersion[] {
    return [...this.entries.getRange({ start: ["schema", type, 0], end: ["schema", type, Number.MAX_SAFE_INTEGER] })].map((e) => e.value as SchemaVersion);
  }

  async close(): Promise<void> {
    await this.env.close();
  }

  private range<T>(kind: string): T[] {
    // "\uffff" sorts after every name: the whole kind, in name order.
    return [...this.entries.getRange({ start: [kind, ""], end: [kind, "\uffff"] })].map((e) => e.value as T);
  }
}
