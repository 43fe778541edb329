export { EventValidator, InvalidEventError, SchemaLimitError, type Validated, type Violation } from "./event-validator";
