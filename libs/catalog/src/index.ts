export { incompatibilities, IncompatibleSchemaError, type CompatibilityPolicy, type Incompatibility, type Subsumption, type VersionedDefinition } from "./compatibility";
