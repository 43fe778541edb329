/** One CUE error, as the engine reports it. */
export interface CueViolation {
  /** Path inside the validated document, e.g. ["address", "zip"]; empty for the document itself. */
  readonly path: readonly string[];
  /** CUE's message with its path, e.g. "#Identity.Age: invalid value 140 (out of bound <130)". */
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export interface CompiledSchema {
  readonly handle: number;
  /** Top-level definitions, e.g. ["#Identity"]. */
  readonly definitions: readonly string[];
}

export type EngineErrorKind = "syntax" | "not_found" | "invalid_json" | "too_deep" | "export" | "internal";

/** What the Go side answers, before it is turned into values or typed errors. */
export interface EngineReply<T> {
  readonly ok?: T;
  readonly violations?: CueViolation[];
  readonly error?: { readonly kind: EngineErrorKind; readonly message: string; readonly violations?: CueViolation[] };
}
