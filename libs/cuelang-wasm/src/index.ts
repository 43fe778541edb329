export { CueEngine, type CueEngineCounters, type CueEngineOptions, type Definition, type Schema, type ValidateOptions } from "./cue-engine";
export {
  CueBusyError,
  CueDocumentError,
  CueEngineError,
  CueInternalError,
  CueLimitError,
  CueNotFoundError,
  CueSyntaxError,
  CueTimeoutError,
} from "./errors";
export type { CueViolation } from "./types";
export type { ProgramNode, ValidatorProgram } from "./validator-program";
