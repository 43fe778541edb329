import type { CueViolation, EngineErrorKind } from "./types";

/**
 * Errors of the engine. Each carries a `code` from the platform's shared
 * vocabulary (see libs/grpc status mapping) and, where CUE gave them,
 * structured violations with line:column.
 */
export abstract class CueEngineError extends Error {
  abstract readonly code: "invalid_argument" | "not_found" | "deadline_exceeded" | "resource_exhausted" | "internal";
  constructor(
    message: string,
    readonly violations: readonly CueViolation[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The CUE source does not compile or does not evaluate. */
export class CueSyntaxError extends CueEngineError {
  readonly code = "invalid_argument";
}

/** A definition or schema that does not exist. */
export class CueNotFoundError extends CueEngineError {
  readonly code = "not_found";
}

/** The document is not JSON, nests too deep, or is too large. */
export class CueDocumentError extends CueEngineError {
  readonly code = "invalid_argument";
}

/**
 * Validating this document against this schema took more time or memory
 * than one evaluation may: the document is refused (retrying it would cost
 * the same), and the engine that ran it was replaced.
 */
export class CueLimitError extends CueEngineError {
  readonly code = "invalid_argument";
  constructor(
    readonly limit: "time" | "memory",
    message: string,
  ) {
    super(message);
  }
}

/** Too much is waiting to be validated for one group (data product): try again later. */
export class CueBusyError extends CueEngineError {
  readonly code = "resource_exhausted";
}

/** A call other than a validation ran past its time limit; the engine behind it was replaced. */
export class CueTimeoutError extends CueEngineError {
  readonly code = "deadline_exceeded";
}

/** OpenAPI or JSON Schema generation failed, or the engine itself failed. */
export class CueInternalError extends CueEngineError {
  readonly code = "internal";
}

export function engineError(kind: EngineErrorKind, message: string, violations?: readonly CueViolation[]): CueEngineError {
  switch (kind) {
    case "syntax":
      return new CueSyntaxError(message, violations);
    case "not_found":
      return new CueNotFoundError(message, violations);
    case "invalid_json":
    case "too_deep":
      return new CueDocumentError(message, violations);
    case "export":
    case "internal":
      return new CueInternalError(message, violations);
  }
}
