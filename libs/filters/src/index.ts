// Subscription filters, whatever the door (gRPC Subscribe and Fetch today; HTTP and durable subscriptions
// later): compile a FilterSpec once against the catalog's schemas, then test decoded events with it.
export { compileFilter, type CompileOptions, type EventTypeSchemas, type SchemaInfo } from "./compile-filter";
export type { CompiledFilter, FilterMatcher, FilterStats } from "./compiled-filter";
export { dataShape, unknownShape, type DataShape, type FieldKinds, type Kind } from "./data-shape";
export { FilterError } from "./errors";
export { CloudEventView } from "./event-view";
export { FilterCompiler, type FilterCompilerOptions, type SchemaSource } from "./filter-compiler";
export type { AttributeValues, DialectFilter, FilterSpec } from "./filter-spec";
