export { EventValidator, InvalidEventError, type Validated, type Violation } from "./event-validator";
