export { Catalog, type CatalogChange, type CatalogOptions } from "./catalog";
export type { CatalogStore, StoredEntry } from "./catalog-store";
export { incompatibilities, IncompatibleSchemaError, type CompatibilityPolicy, type Incompatibility, type Subsumption, type VersionedDefinition } from "./compatibility";
export { EmbeddedCatalogStore } from "./embedded-catalog-store";
export { KafkaCatalogStore, type KafkaCatalogStoreOptions } from "./kafka-catalog-store";
export { CatalogError, type DataProduct, type DataProductAccess, type EventType, type SchemaVersion } from "./model";
export type { Page } from "./page";
export { DeclarationError, loadDeclarations } from "./declarations";
