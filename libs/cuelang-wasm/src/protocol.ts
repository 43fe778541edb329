import type { EngineReply } from "./types";

/** A schema a worker may not have compiled yet; sent along with the first request that needs it. */
export interface SchemaSource {
  readonly id: number;
  readonly filename: string;
  readonly source: string;
}

export interface DefinitionRef {
  readonly schema: number;
  readonly definition: string;
}

export type WorkerOp =
  | { readonly op: "compile"; readonly schema: SchemaSource }
  /** Several documents in one message: the reply's `ok` is one EngineReply (or undefined: valid) per document. */
  | { readonly op: "validate"; readonly items: readonly { readonly ref: DefinitionRef; readonly document: Uint8Array }[] }
  | { readonly op: "openapi"; readonly schema: number }
  | { readonly op: "export"; readonly schema: number }
  | { readonly op: "jsonschema"; readonly ref: DefinitionRef }
  | { readonly op: "validator"; readonly ref: DefinitionRef }
  | { readonly op: "subsumes"; readonly general: DefinitionRef; readonly specific: DefinitionRef }
  | { readonly op: "release"; readonly schema: number }
  | { readonly op: "stats" };

export interface WorkerRequest {
  readonly id: number;
  /** Schemas to compile first, because this worker has not seen them. */
  readonly install: readonly SchemaSource[];
  readonly call: WorkerOp;
}

export interface WorkerResponse {
  readonly id: number;
  /** Undefined for a valid document. */
  readonly reply?: EngineReply<unknown>;
  /** Set when the engine trapped: the worker exits after answering. */
  readonly fatal?: string;
  /** With `fatal`: the engine had used (nearly) all the memory it may. */
  readonly outOfMemory?: boolean;
  /** The engine's linear memory after the call (it never shrinks). */
  readonly memoryBytes?: number;
}

/** A Node warning raised on the worker, for the main thread to raise again (it answers no request). */
export interface WorkerWarning {
  readonly warning: { readonly name: string; readonly message: string; readonly code?: string };
}

export interface WorkerInit {
  /** Compiled once on the main thread and shared: V8 clones a module between threads without recompiling it. */
  readonly module: WebAssembly.Module;
  readonly recycleAfter: number;
  readonly maxDepth: number;
  /** The maximum written into the module's memory, 0 for none. */
  readonly memoryLimitBytes: number;
}
