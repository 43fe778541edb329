import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CueDocumentError, CueInternalError, CueTimeoutError, engineError, type CueEngineError } from "./errors";
import type { DefinitionRef, SchemaSource, WorkerInit, WorkerOp, WorkerRequest, WorkerResponse } from "./protocol";
import type { CueViolation, EngineReply } from "./types";
import type { ValidatorProgram } from "./validator-program";
import { engineModule } from "./wasm-module";

export interface CueEngineOptions {
  /** Worker threads, each with its own engine; default: the number of cores. */
  readonly workers?: number;
  /** Time limit of one call; past it the worker is replaced. Default 5 s. */
  readonly timeoutMs?: number;
  /** Validations between two recycles of a CUE context. Default 20,000. */
  readonly recycleAfter?: number;
  /** Deepest JSON nesting accepted. Default 1,000. */
  readonly maxDepth?: number;
  /** Largest document accepted. Default 16 MiB. */
  readonly maxDocumentBytes?: number;
}

/** A compiled schema: valid in every worker of the engine that made it. */
export interface Schema {
  readonly id: number;
  readonly filename: string;
  readonly source: string;
  readonly definitions: readonly string[];
}

/** A definition of a schema, e.g. `#Identity` of the people schema. */
export interface Definition {
  readonly schema: Schema;
  readonly definition: string;
}

/** A validation waiting for the next message to a worker. */
interface QueuedValidation {
  readonly target: Definition;
  readonly document: Uint8Array;
  readonly resolve: (violations: CueViolation[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Most validations in one worker message: enough to amortise the message, few enough to keep latency and a time-out's reach small. */
const maxBatch = 64;

interface Pending {
  readonly request: WorkerRequest;
  readonly resolve: (reply: EngineReply<unknown> | undefined) => void;
  readonly reject: (err: CueEngineError) => void;
  timer?: NodeJS.Timeout;
}

class EngineWorker {
  readonly installed = new Set<number>();
  readonly pending = new Map<number, Pending>();
  readonly thread: Worker;
  readonly ready: Promise<void>;

  constructor(init: WorkerInit, onResponse: (w: EngineWorker, r: WorkerResponse) => void, onExit: (w: EngineWorker) => void) {
    // WASI is flagged experimental in Node 20; the warning says nothing an operator can act on.
    this.thread = new Worker(join(__dirname, "worker.js"), { workerData: init, execArgv: ["--disable-warning=ExperimentalWarning"] });
    this.ready = new Promise((resolve, reject) => {
      this.thread.once("message", (r: WorkerResponse) => (r.fatal ? reject(new CueInternalError(r.fatal)) : resolve()));
      this.thread.once("error", reject);
      this.thread.once("exit", (code) => reject(new CueInternalError(`the CUE worker exited (${code}) before it was ready`)));
    });
    void this.ready.then(() => this.thread.on("message", (r: WorkerResponse) => onResponse(this, r)), () => undefined);
    this.thread.on("exit", () => onExit(this));
  }
}

const encoder = new TextEncoder();

/**
 * The CUE engine for the platform: a pool of worker threads, each running
 * the WebAssembly engine, so that validation never blocks the event loop.
 * Schemas are compiled once per worker, on first use there.
 */
export class CueEngine {
  private readonly workers: EngineWorker[] = [];
  private readonly schemas = new Map<number, Schema>();
  private nextSchema = 0;
  private nextRequest = 0;
  private closed = false;
  private init!: WorkerInit;
  private readonly timeoutMs: number;
  private readonly maxDocumentBytes: number;
  private queued: QueuedValidation[] = [];
  /** Workers replaced after a timeout or a crash, for tests and metrics. */
  restarts = 0;

  private constructor(options: CueEngineOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxDocumentBytes = options.maxDocumentBytes ?? 16 * 1024 * 1024;
  }

  static async start(options: CueEngineOptions = {}): Promise<CueEngine> {
    const engine = new CueEngine(options);
    engine.init = { module: await engineModule(), recycleAfter: options.recycleAfter ?? 20_000, maxDepth: options.maxDepth ?? 1000 };
    const size = Math.max(1, options.workers ?? availableParallelism());
    for (let i = 0; i < size; i++) engine.workers.push(engine.spawn());
    try {
      await Promise.all(engine.workers.map((w) => w.ready));
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Compiles a schema; a CueSyntaxError carries file:line:column. */
  async compile(source: string, filename = "schema.cue"): Promise<Schema> {
    const id = ++this.nextSchema;
    const schemaSource: SchemaSource = { id, filename, source };
    const reply = await this.call({ op: "compile", schema: schemaSource });
    const compiled = unwrap(reply) as { handle: number; definitions: string[] };
    const schema: Schema = { id, filename, source, definitions: compiled.definitions };
    this.schemas.set(id, schema);
    return schema;
  }

  /**
   * Validates a JSON document against a definition, as `cue vet -c -d def`
   * would; resolves to the violations, empty when the document is valid.
   *
   * Validations asked for in one turn of the event loop travel to the
   * workers together, a share per worker: a message to a worker costs about
   * a quarter of a validation, so batching buys throughput at the price of
   * one turn of latency. A batch that times out or traps is retried one
   * document at a time, so that only the document at fault fails.
   */
  async validate(target: Definition, document: Uint8Array | string): Promise<CueViolation[]> {
    const bytes = typeof document === "string" ? encoder.encode(document) : document;
    if (bytes.length > this.maxDocumentBytes) {
      throw new CueDocumentError(`document of ${bytes.length} bytes is larger than the limit of ${this.maxDocumentBytes} bytes`);
    }
    if (this.closed) throw new CueInternalError("the CUE engine is closed");
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.flush());
      this.queued.push({ target, document: bytes, resolve, reject });
    });
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = [];
    // Two messages per worker at least, so that each has the next batch queued while it answers one.
    const share = Math.min(maxBatch, Math.ceil(queued.length / (2 * this.workers.length)));
    for (let i = 0; i < queued.length; i += share) this.validateBatch(queued.slice(i, i + share));
  }

  private validateBatch(batch: readonly QueuedValidation[]): void {
    const schemas = [...new Set(batch.map((q) => q.target.schema))];
    const items = batch.map((q) => ({ ref: ref(q.target), document: q.document }));
    this.call({ op: "validate", items }, schemas).then(
      (reply) => {
        const replies = (reply?.ok ?? []) as (EngineReply<unknown> | undefined)[];
        batch.forEach((q, i) => {
          const r = reply?.error ?? replies[i]?.error;
          if (r) q.reject(engineError(r.kind, r.message, r.violations));
          else q.resolve(replies[i]?.violations ?? []);
        });
      },
      (err: unknown) => {
        // A time-out or a trap is one document's doing: each is tried again alone, so only that one fails.
        if (batch.length > 1 && (err instanceof CueTimeoutError || err instanceof CueInternalError) && !this.closed) {
          for (const q of batch) this.validateBatch([q]);
        } else {
          for (const q of batch) q.reject(err);
        }
      },
    );
  }

  /** The OpenAPI 3 document of every definition of a schema. */
  async openApi(schema: Schema): Promise<Record<string, unknown>> {
    return unwrap(await this.call({ op: "openapi", schema: schema.id }, [schema])) as Record<string, unknown>;
  }

  /** A schema evaluated as data (every value concrete), as `cue export` would print it; errors carry line:column. */
  async exportJson(schema: Schema): Promise<unknown> {
    return unwrap(await this.call({ op: "export", schema: schema.id }, [schema]));
  }

  /** The JSON Schema (draft 2020-12) of one definition. */
  async jsonSchema(target: Definition): Promise<Record<string, unknown>> {
    return unwrap(await this.call({ op: "jsonschema", ref: ref(target) }, [target.schema])) as Record<string, unknown>;
  }

  /** The validator program of one definition, for a fast path in front of validate() (see validator-program.ts). */
  async validatorProgram(target: Definition): Promise<ValidatorProgram> {
    return unwrap(await this.call({ op: "validator", ref: ref(target) }, [target.schema])) as ValidatorProgram;
  }

  /**
   * Whether every document valid against `specific` is valid against
   * `general`; resolves to the fields that break it, empty when it holds.
   */
  async subsumes(general: Definition, specific: Definition): Promise<CueViolation[]> {
    const reply = await this.call({ op: "subsumes", general: ref(general), specific: ref(specific) }, [general.schema, specific.schema]);
    if (reply?.error) throw engineError(reply.error.kind, reply.error.message, reply.error.violations);
    return reply?.violations ?? [];
  }

  /** Forgets a schema in every worker. */
  release(schema: Schema): void {
    this.schemas.delete(schema.id);
    for (const w of this.workers) {
      if (w.installed.delete(schema.id)) this.send(w, { op: "release", schema: schema.id }, []).catch(() => undefined);
    }
  }

  /** Linear memory of each worker's engine, in bytes. */
  async memory(): Promise<number[]> {
    return Promise.all(this.workers.map(async (w) => ((await this.send(w, { op: "stats" }, []))?.ok as { memoryBytes: number }).memoryBytes));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }

  private spawn(): EngineWorker {
    return new EngineWorker(this.init, (w, r) => this.onResponse(w, r), (w) => this.onExit(w));
  }

  private call(op: WorkerOp, needs: readonly Schema[] = []): Promise<EngineReply<unknown> | undefined> {
    if (this.closed) return Promise.reject(new CueInternalError("the CUE engine is closed"));
    // The least busy worker; ties go to one that already compiled the schemas.
    const worker = this.workers.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
    return this.send(worker, op, needs);
  }

  private send(worker: EngineWorker, call: WorkerOp, needs: readonly Schema[]): Promise<EngineReply<unknown> | undefined> {
    const install = needs.filter((s) => !worker.installed.has(s.id)).map(({ id, filename, source }) => ({ id, filename, source }));
    for (const s of install) worker.installed.add(s.id);
    const request: WorkerRequest = { id: ++this.nextRequest, install, call };
    return new Promise((resolve, reject) => {
      const pending: Pending = { request, resolve, reject };
      worker.pending.set(request.id, pending);
      worker.thread.postMessage(request);
      // The time limit runs from when the worker can answer: a replacement's start-up does not count against it.
      worker.ready.then(
        () => {
          if (worker.pending.has(request.id)) pending.timer = setTimeout(() => this.onTimeout(worker, pending), this.timeoutMs);
        },
        (err: unknown) => {
          if (worker.pending.delete(request.id)) reject(new CueInternalError(`the CUE engine could not restart: ${String(err)}`));
        },
      );
    });
  }

  private onResponse(worker: EngineWorker, response: WorkerResponse): void {
    const pending = worker.pending.get(response.id);
    if (!pending) return;
    worker.pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.fatal) pending.reject(new CueInternalError(`the CUE engine failed: ${response.fatal}`));
    else pending.resolve(response.reply);
  }

  private onTimeout(worker: EngineWorker, pending: Pending): void {
    worker.pending.delete(pending.request.id);
    pending.reject(new CueTimeoutError(`the CUE engine did not answer within ${this.timeoutMs} ms (${pending.request.call.op})`));
    // The only way to stop a wasm call that does not end is to end its thread.
    this.retire(worker);
    void worker.thread.terminate();
  }

  private onExit(worker: EngineWorker): void {
    if (!this.closed) this.retire(worker);
  }

  /** Replaces a worker at once; what it still owed goes to its replacement. */
  private retire(worker: EngineWorker): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.restarts++;
    const replacement = this.spawn();
    this.workers[index] = replacement;
    // Sent at once: the replacement reads them once started, and if it dies first they move on again.
    for (const pending of worker.pending.values()) {
      clearTimeout(pending.timer);
      const needs = referencedSchemas(pending.request.call).flatMap((id) => this.schemas.get(id) ?? []);
      this.send(replacement, pending.request.call, needs).then(pending.resolve, pending.reject);
    }
    worker.pending.clear();
  }
}

function ref(d: Definition): DefinitionRef {
  return { schema: d.schema.id, definition: d.definition };
}

function referencedSchemas(call: WorkerOp): number[] {
  switch (call.op) {
    case "validate":
      return [...new Set(call.items.map((i) => i.ref.schema))];
    case "jsonschema":
    case "validator":
      return [call.ref.schema];
    case "subsumes":
      return [call.general.schema, call.specific.schema];
    case "openapi":
    case "export":
    case "release":
      return [call.schema];
    case "compile":
    case "stats":
      return [];
  }
}

function unwrap(reply: EngineReply<unknown> | undefined): unknown {
  if (reply?.error) throw engineError(reply.error.kind, reply.error.message, reply.error.violations);
  if (reply?.ok === undefined) throw new CueInternalError("the CUE engine gave no answer");
  return reply.ok;
}
