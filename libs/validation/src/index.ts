export { EventValidator, InvalidEventError, SchemaLimitError, type Validated, type ValidationCounts, type Violation } from "./event-validator";
export { compileValidator, type FastValidator, type FastValidatorOptions } from "./fast-validator";
