export { CueEngine, type CueEngineOptions, type Definition, type Schema } from "./cue-engine";
export {
  CueDocumentError,
  CueEngineError,
  CueInternalError,
  CueNotFoundError,
  CueSyntaxError,
  CueTimeoutError,
} from "./errors";
export type { CueViolation } from "./types";
export type { ProgramNode, ValidatorProgram } from "./validator-program";
