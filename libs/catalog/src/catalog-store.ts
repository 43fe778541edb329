import type { AccessRevision, DataProduct, EventType, SchemaVersion } from "./model";

/**
 * Where the catalog keeps its entries. Entries are written once: every write
 * is conditional, so that of several writers racing for one key exactly one
 * wins, and every reader of the store (every platform instance) agrees on
 * which. A write resolves to whether this call's entry is the one stored;
 * the loser reads the winner back. Every adapter passes catalog-store.contract.ts.
 */
export interface CatalogStore {
  /** Stores the product unless one of that name exists. */
  createProduct(product: DataProduct): Promise<boolean>;
  getProduct(name: string): DataProduct | undefined;
  listProducts(): DataProduct[];
  /** Stores the type unless one of that name exists (in any product). */
  createEventType(eventType: EventType): Promise<boolean>;
  getEventType(type: string): EventType | undefined;
  listEventTypes(): EventType[];
  /**
   * Stores the version unless its number exists for the type, and only when
   * it follows the type's latest version (number 1, or the previous number
   * exists): version numbers stay dense and unique.
   */
  createSchemaVersion(version: SchemaVersion): Promise<boolean>;
  /** Oldest first. */
  listSchemaVersions(type: string): SchemaVersion[];
  /** Stores the revision unless its number exists for the product, and only right after the previous one (as versions). */
  createAccessRevision(revision: AccessRevision): Promise<boolean>;
  /** The product's latest access revision; none when its access never changed after its creation. */
  latestAccessRevision(product: string): AccessRevision | undefined;
  close(): Promise<void>;
  /**
   * Entries other writers stored (other platform instances sharing the
   * store), as this store applies them; absent on a store only this
   * instance writes. Returns the function that stops the calls.
   */
  watchOthers?(listener: (entry: StoredEntry) => void): () => void;
}

/** An entry as a store holds it, by kind. */
export type StoredEntry =
  | { readonly kind: "product"; readonly value: DataProduct }
  | { readonly kind: "type"; readonly value: EventType }
  | { readonly kind: "schema"; readonly value: SchemaVersion }
  | { readonly kind: "access"; readonly value: AccessRevision };
