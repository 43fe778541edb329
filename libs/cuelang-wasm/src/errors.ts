import type { CueViolation, EngineErrorKind } from "./types";

/**
 * Errors of the engine. Each carries a `code` from the platform's shared
 * vocabulary (see libs/grpc status mapping) and, where CUE gave them,
 * structured violations with line:column.
 */
export abstract class CueEngineError extends Error {
  abstract readonly code: "invalid_argument" | "not_found" | "deadline_exceeded" | "internal";
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

/** The call ran past its time limit; the engine behind it was replaced. */
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
