import type { SourcePosition, Value } from "./ast";

/** The error types of CESQL v1 (spec §3.3). */
export type CesqlErrorKind = "parse" | "math" | "cast" | "missingAttribute" | "missingFunction" | "functionEvaluation" | "generic";

/**
 * An error raised while an expression is evaluated (or found when it is
 * compiled, such as a function that does not exist). It carries the value the
 * failing operation returns with it (spec §3.3: every operation is total).
 */
export class CesqlError extends Error {
  /** The node whose own evaluation failed (set by the evaluator; a failing argument is not its call). */
  origin?: unknown;
  constructor(
    readonly kind: Exclude<CesqlErrorKind, "parse">,
    message: string,
    readonly value: Value,
  ) {
    super(message);
    this.name = "CesqlError";
  }
}

/** The expression text is not CESQL; the message starts with `line:column`. */
export class CesqlSyntaxError extends Error {
  readonly kind = "parse";
  constructor(
    readonly reason: string,
    readonly at: SourcePosition,
  ) {
    super(`syntax error at line ${at.line}, column ${at.column}: ${reason}`);
    this.name = "CesqlSyntaxError";
  }
}
