import type { DataProduct, EventType, SchemaVersion } from "./model";

/**
 * Where the catalog keeps its entries. Writes are idempotent upserts; every
 * adapter passes catalog-store.contract.ts.
 */
export interface CatalogStore {
  putProduct(product: DataProduct): Promise<void>;
  getProduct(name: string): DataProduct | undefined;
  listProducts(): DataProduct[];
  putEventType(eventType: EventType): Promise<void>;
  getEventType(type: string): EventType | undefined;
  listEventTypes(): EventType[];
  putSchemaVersion(version: SchemaVersion): Promise<void>;
  /** Oldest first. */
  listSchemaVersions(type: string): SchemaVersion[];
  close(): Promise<void>;
}
