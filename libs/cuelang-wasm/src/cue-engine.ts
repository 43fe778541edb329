import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CueBusyError, CueDocumentError, CueInternalError, CueLimitError, CueTimeoutError, engineError } from "./errors";
import type { DefinitionRef, SchemaSource, WorkerInit, WorkerOp, WorkerRequest, WorkerResponse, WorkerWarning } from "./protocol";
import type { CueViolation, EngineReply } from "./types";
import type { ValidatorProgram } from "./validator-program";
import { engineModule } from "./wasm-module";

export interface CueEngineOptions {
  /** Worker threads, each with its own engine; default: the number of cores. */
  readonly workers?: number;
  /**
   * Time limit of one call other than a validation (compile, subsumption,
   * exports); past it the call fails with CueTimeoutError and the worker is
   * replaced. Default 5 s.
   */
  readonly timeoutMs?: number;
  /**
   * Time limit of one validation message (a document, or a batch of them);
   * past it the worker is replaced and the document refused with
   * CueLimitError: it is the document's doing, and would cost the same again.
   * Default: timeoutMs.
   */
  readonly evaluationTimeoutMs?: number;
  /**
   * Most linear memory one worker's engine may use: an evaluation that needs
   * more fails inside the engine, is refused with CueLimitError, and the
   * worker is replaced. 0 (the default) for none: some of Go's out-of-memory
   * paths (a `list.Range` past the limit) end the whole process with SIGSEGV
   * instead of a trap, so the limit is for what has been tried with it. A
   * worker that ends a call above half the limit (128 MiB without one) is
   * replaced, which gives the memory back.
   */
  readonly memoryLimitBytes?: number;
  /** Most bytes of documents one group may have waiting; past it validate() fails with CueBusyError. Default 64 MiB. */
  readonly maxQueuedBytesPerGroup?: number;
  /** Validations between two recycles of a CUE context. Default 20,000. */
  readonly recycleAfter?: number;
  /** Deepest JSON nesting accepted. Default 1,000. */
  readonly maxDepth?: number;
  /** Largest document accepted. Default 16 MiB. */
  readonly maxDocumentBytes?: number;
}

export interface ValidateOptions {
  /**
   * Whom the validation is for (the platform uses the data product): groups
   * take turns on the workers, and a group that is new or whose evaluations
   * were slow lately never holds every worker. Default "".
   */
  readonly group?: string;
}

/** What the pool has had to do, for metrics. */
export interface CueEngineCounters {
  /** Workers replaced (time-outs, traps, memory given back). */
  restarts: number;
  /** Validations refused for running past the time limit. */
  timeLimitExceeded: number;
  /** Validations refused for needing more than the memory limit. */
  memoryLimitExceeded: number;
  /** Validations refused because their group had too much waiting. */
  busy: number;
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

interface Settle<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (err: unknown) => void;
}

/** A validation waiting for a worker. */
interface QueuedValidation extends Settle<CueViolation[]> {
  readonly target: Definition;
  readonly document: Uint8Array;
  /** Sent alone: it was in a batch that timed out or trapped. */
  readonly alone?: boolean;
}

/** Any other call waiting for a worker. */
interface QueuedCall extends Settle<EngineReply<unknown> | undefined> {
  readonly op: WorkerOp;
  readonly needs: readonly Schema[];
}

type Queued = QueuedValidation | QueuedCall;
const isValidation = (q: Queued): q is QueuedValidation => "document" in q;

/** Validations and calls of one group (data product), and how its work has gone lately. */
class Group {
  readonly queue: Queued[] = [];
  queuedBytes = 0;
  /** Workers running this group's work now. */
  busy = 0;
  /** Until when the group counts as slow: one document per message, never every worker. */
  slowUntil = 0;
  /** Messages answered quickly in a row; a group is trusted with every worker after a few. */
  fastStreak = 0;
}

/** One message to a worker, as the pool tracks it. */
interface Job {
  readonly id: number;
  readonly group: Group;
  /** When the worker started on it (it may wait behind the one before). */
  started: number;
  /** Its time limit: a validation's or another call's. */
  readonly limitMs: number;
  readonly validations?: readonly QueuedValidation[];
  readonly call?: QueuedCall;
  timer?: NodeJS.Timeout;
}

/** Most validations in one worker message: enough to amortise the message, few enough to keep latency and a time-out's reach small. */
const maxBatch = 64;
/** Most document bytes in one worker message (at least one document goes). */
const maxBatchBytes = 1024 * 1024;
/** Messages answered quickly in a row before a group may hold every worker. */
const trustAfter = 20;
/** How long a group that was slow stays held to fewer workers and to one document per message. */
const slowCooldownMs = 60_000;

class EngineWorker {
  readonly installed = new Set<number>();
  readonly thread: Worker;
  readonly ready: Promise<void>;
  isReady = false;
  /** Replaced: takes no more work. */
  retired = false;
  /**
   * Messages sent and not answered, in the order the worker takes them: one,
   * or two when both belong to trusted groups (the worker then has its next
   * batch at hand when it answers one). Only the first runs against its limit.
   */
  readonly jobs: Job[] = [];
  /** Calls sent outside the queues (release, stats), answered in order after the jobs. */
  readonly direct = new Map<number, { readonly call: WorkerOp; readonly settle: Settle<EngineReply<unknown> | undefined> }>();

  constructor(init: WorkerInit, onResponse: (w: EngineWorker, r: WorkerResponse) => void, onExit: (w: EngineWorker) => void) {
    this.thread = new Worker(join(__dirname, "worker.js"), {
      workerData: init,
      // WASI is flagged experimental in Node 20; the warning says nothing an operator can act on.
      execArgv: ["--disable-warning=ExperimentalWarning"],
      // The worker's own JavaScript heap (documents in transit, replies); the engine's linear
      // memory is held by the maximum written into the module (memoryLimitBytes).
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    let announced = false;
    this.ready = new Promise((resolve, reject) => {
      this.thread.on("message", (r: WorkerResponse | WorkerWarning) => {
        if ("warning" in r) return process.emitWarning(r.warning.message, { type: r.warning.name, code: r.warning.code });
        // The first answer announces the engine's start (or why it failed); the rest answer requests.
        if (announced) return onResponse(this, r);
        announced = true;
        if (r.fatal) reject(new CueInternalError(r.fatal));
        else resolve();
      });
      this.thread.once("error", reject);
      this.thread.once("exit", (code) => reject(new CueInternalError(`the CUE worker exited (${code}) before it was ready`)));
    });
    this.thread.on("exit", () => onExit(this));
  }
}

const encoder = new TextEncoder();

/**
 * The CUE engine for the platform: a pool of worker threads, each running
 * the WebAssembly engine, so that validation never blocks the event loop.
 * Schemas are compiled once per worker, on first use there.
 *
 * Work waits in one queue per group (data product) and goes to a worker
 * only when that worker is free: groups take turns, so one product's
 * backlog delays another's work by at most one message. Every evaluation
 * runs under a time and a memory limit. A group that is new, or whose
 * evaluations were slow lately, never holds every worker (with two or more),
 * so a product whose schema is expensive on its data slows only itself.
 */
export class CueEngine {
  private readonly workers: EngineWorker[] = [];
  /**
   * With two workers or more, one more waits ready to replace a worker at
   * once: a time-out would otherwise leave the pool a worker short for a
   * start-up (hundreds of milliseconds), the moment a slow group is kept
   * off the last worker.
   */
  private spare?: EngineWorker;
  private readonly schemas = new Map<number, Schema>();
  /** In turn order: the group served last goes to the back. */
  private readonly groups = new Map<string, Group>();
  private nextSchema = 0;
  private nextRequest = 0;
  private closed = false;
  private pumpScheduled = false;
  private init!: WorkerInit;
  private readonly timeoutMs: number;
  private readonly evaluationTimeoutMs: number;
  private readonly memoryLimitBytes: number;
  private readonly maxQueuedBytesPerGroup: number;
  private readonly maxDocumentBytes: number;
  readonly counters: CueEngineCounters = { restarts: 0, timeLimitExceeded: 0, memoryLimitExceeded: 0, busy: 0 };

  private constructor(options: CueEngineOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.evaluationTimeoutMs = options.evaluationTimeoutMs ?? this.timeoutMs;
    this.memoryLimitBytes = options.memoryLimitBytes ?? 0;
    this.maxQueuedBytesPerGroup = options.maxQueuedBytesPerGroup ?? 64 * 1024 * 1024;
    this.maxDocumentBytes = options.maxDocumentBytes ?? 16 * 1024 * 1024;
  }

  static async start(options: CueEngineOptions = {}): Promise<CueEngine> {
    const engine = new CueEngine(options);
    engine.init = {
      module: await engineModule(engine.memoryLimitBytes),
      recycleAfter: options.recycleAfter ?? 20_000,
      maxDepth: options.maxDepth ?? 1000,
      memoryLimitBytes: engine.memoryLimitBytes,
    };
    const size = Math.max(1, options.workers ?? availableParallelism());
    for (let i = 0; i < size; i++) engine.workers.push(engine.spawn());
    try {
      await Promise.all(engine.workers.map((w) => w.ready));
    } catch (err) {
      await engine.close();
      throw err;
    }
    // Off the start-up's path: the platform is loading its declarations then.
    setTimeout(() => engine.replenish(), 5000).unref();
    return engine;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Workers replaced after a time-out, a trap or to give memory back. */
  get restarts(): number {
    return this.counters.restarts;
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
   * workers together, a share per free worker: a message to a worker costs
   * about a quarter of a validation, so batching buys throughput at the
   * price of one turn of latency. A batch that times out or traps is
   * retried one document at a time, so that only the document at fault fails.
   */
  async validate(target: Definition, document: Uint8Array | string, options: ValidateOptions = {}): Promise<CueViolation[]> {
    // A view into a larger buffer (the request the event came in) is copied: structured clone would
    // copy that whole buffer to the worker, and the queue's byte count would understate what it holds.
    const bytes = typeof document === "string" ? encoder.encode(document) : document.byteLength === document.buffer.byteLength ? document : new Uint8Array(document);
    if (bytes.length > this.maxDocumentBytes) {
      throw new CueDocumentError(`document of ${bytes.length} bytes is larger than the limit of ${this.maxDocumentBytes} bytes`);
    }
    if (this.closed) throw new CueInternalError("the CUE engine is closed");
    const name = options.group ?? "";
    const group = this.group(name);
    if (group.queue.length > 0 && group.queuedBytes + bytes.length > this.maxQueuedBytesPerGroup) {
      this.counters.busy++;
      throw new CueBusyError(`validation of ${name || "the default group"} has ${group.queuedBytes} bytes of documents waiting (limit ${this.maxQueuedBytesPerGroup}); try again later`);
    }
    return new Promise((resolve, reject) => {
      group.queue.push({ target, document: bytes, resolve, reject });
      group.queuedBytes += bytes.length;
      this.schedulePump();
    });
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
      if (w.installed.delete(schema.id)) this.sendDirect(w, { op: "release", schema: schema.id }).catch(() => undefined);
    }
  }

  /** Linear memory of each worker's engine, in bytes. */
  async memory(): Promise<number[]> {
    return Promise.all(this.workers.map(async (w) => ((await this.sendDirect(w, { op: "stats" }))?.ok as { memoryBytes: number }).memoryBytes));
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new CueInternalError("the CUE engine is closed");
    for (const group of this.groups.values()) for (const q of group.queue.splice(0)) q.reject(closed);
    await Promise.all([...this.workers, ...(this.spare ? [this.spare] : [])].map((w) => w.thread.terminate()));
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      group = new Group();
      this.groups.set(name, group);
    }
    return group;
  }

  /** Calls other than validations wait in the default group's queue, in turn with the others. */
  private call(op: WorkerOp, needs: readonly Schema[] = []): Promise<EngineReply<unknown> | undefined> {
    if (this.closed) return Promise.reject(new CueInternalError("the CUE engine is closed"));
    return new Promise((resolve, reject) => {
      this.group("").queue.push({ op, needs, resolve, reject });
      this.schedulePump();
    });
  }

  /** Once per turn of the event loop, so that what was asked for in one turn can travel together. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Gives every free worker the next message, groups taking turns; then a
   * second message to each worker busy with a trusted group's, from a
   * trusted group.
   */
  private pump(): void {
    while (!this.closed) {
      const free = this.workers.find((w) => w.isReady && !w.retired && w.jobs.length === 0);
      const group = free && this.nextGroup(false);
      if (free && group) {
        this.dispatch(free, group);
        continue;
      }
      const busy = this.workers.find((w) => w.isReady && !w.retired && w.jobs.length === 1 && this.trusted(w.jobs[0]!.group));
      const trustedGroup = busy && this.nextGroup(true);
      if (!busy || !trustedGroup) return;
      this.dispatch(busy, trustedGroup);
    }
  }

  private trusted(group: Group): boolean {
    return group.fastStreak >= trustAfter && Date.now() >= group.slowUntil;
  }

  private nextGroup(trustedOnly: boolean): Group | undefined {
    for (const [name, group] of this.groups) {
      if (group.queue.length > 0 && group.busy < this.share(group) && (!trustedOnly || this.trusted(group))) {
        // To the back of the turn order.
        this.groups.delete(name);
        this.groups.set(name, group);
        return group;
      }
    }
    return undefined;
  }

  /**
   * How many workers a group may hold at once: every ready one once it has
   * shown its work to be quick; all but one while it was slow lately; all
   * but one while it is new, and at least one as long as no worker is being
   * replaced. While one is, only trusted groups may take the last ready worker.
   */
  private share(group: Group): number {
    const ready = this.workers.filter((w) => w.isReady && !w.retired).length;
    // Counted in messages: a trusted group may have two at each worker.
    if (this.trusted(group)) return 2 * ready;
    if (this.workers.length < 2) return 1;
    if (Date.now() < group.slowUntil) return ready - 1;
    return ready === this.workers.length ? Math.max(1, ready - 1) : ready - 1;
  }

  private dispatch(worker: EngineWorker, group: Group): void {
    const head = group.queue[0]!;
    if (!isValidation(head)) {
      group.queue.shift();
      this.send(worker, group, head.op, head.needs, { call: head });
      return;
    }
    const slow = Date.now() < group.slowUntil;
    const free = this.workers.filter((w) => w.isReady && !w.retired && w.jobs.length === 0).length;
    const pending = group.queue.findIndex((q) => !isValidation(q));
    const count = pending < 0 ? group.queue.length : pending;
    const size = head.alone || slow ? 1 : Math.min(maxBatch, Math.ceil(count / Math.max(1, free)));
    const batch: QueuedValidation[] = [];
    let bytes = 0;
    while (batch.length < size) {
      const q = group.queue[0];
      if (!q || !isValidation(q) || (batch.length > 0 && (q.alone || bytes + q.document.length > maxBatchBytes))) break;
      group.queue.shift();
      batch.push(q);
      bytes += q.document.length;
    }
    group.queuedBytes -= bytes;
    const needs = [...new Set(batch.map((q) => q.target.schema))];
    this.send(worker, group, { op: "validate", items: batch.map((q) => ({ ref: ref(q.target), document: q.document })) }, needs, { validations: batch });
  }

  private send(worker: EngineWorker, group: Group, call: WorkerOp, needs: readonly Schema[], work: Pick<Job, "validations" | "call">): void {
    const install = needs.filter((s) => !worker.installed.has(s.id)).map(({ id, filename, source }) => ({ id, filename, source }));
    for (const s of install) worker.installed.add(s.id);
    const job: Job = { id: ++this.nextRequest, group, started: Date.now(), limitMs: work.call ? this.timeoutMs : this.evaluationTimeoutMs, ...work };
    group.busy++;
    worker.jobs.push(job);
    if (worker.jobs.length === 1) this.startTimer(worker);
    worker.thread.postMessage({ id: job.id, install, call } satisfies WorkerRequest);
  }

  /** The limit of the job the worker works on now runs from now. */
  private startTimer(worker: EngineWorker): void {
    const job = worker.jobs[0];
    if (!job) return;
    job.started = Date.now();
    job.timer = setTimeout(() => this.onTimeout(worker, job), job.limitMs);
  }

  private sendDirect(worker: EngineWorker, call: WorkerOp): Promise<EngineReply<unknown> | undefined> {
    const id = ++this.nextRequest;
    return new Promise((resolve, reject) => {
      worker.direct.set(id, { call, settle: { resolve, reject } });
      worker.thread.postMessage({ id, install: [], call } satisfies WorkerRequest);
    });
  }

  private onResponse(worker: EngineWorker, response: WorkerResponse): void {
    const direct = worker.direct.get(response.id);
    if (direct) {
      worker.direct.delete(response.id);
      if (response.fatal) direct.settle.reject(new CueInternalError(`the CUE engine failed: ${response.fatal}`));
      else direct.settle.resolve(response.reply);
      return;
    }
    const job = worker.jobs[0];
    if (job?.id !== response.id) return;
    this.finish(worker, job);
    if (response.fatal) {
      // The worker exits after this answer; its exit brings the replacement. What waited behind goes back now.
      worker.retired = true;
      for (const next of worker.jobs.splice(0).reverse()) this.requeue(next);
      this.failed(job, response.outOfMemory ? "memory" : `the CUE engine failed: ${response.fatal}`);
    } else {
      this.answered(job, response.reply);
      // Linear memory never shrinks: a worker that needed much of it gives it back by being replaced.
      if ((response.memoryBytes ?? 0) > (this.memoryLimitBytes > 0 ? this.memoryLimitBytes / 2 : 128 * 1024 * 1024)) this.retire(worker);
    }
    this.pump();
  }

  /** Ends the accounting of the worker's current job, judges how quick it was, and starts the clock of the next. */
  private finish(worker: EngineWorker, job: Job): void {
    clearTimeout(job.timer);
    worker.jobs.shift();
    this.startTimer(worker);
    job.group.busy--;
    // Half the time limit counts as slow.
    if (Date.now() - job.started > job.limitMs / 2) this.slow(job.group);
    else job.group.fastStreak++;
  }

  private slow(group: Group): void {
    group.slowUntil = Date.now() + slowCooldownMs;
    group.fastStreak = 0;
  }

  private answered(job: Job, reply: EngineReply<unknown> | undefined): void {
    if (job.call) return job.call.resolve(reply);
    const replies = (reply?.ok ?? []) as (EngineReply<unknown> | undefined)[];
    job.validations!.forEach((q, i) => {
      const r = reply?.error ?? replies[i]?.error;
      if (r) q.reject(engineError(r.kind, r.message, r.violations));
      else q.resolve(replies[i]?.violations ?? []);
    });
  }

  /**
   * A job whose worker timed out or trapped. A batch is sent again one
   * document at a time, first in its group's queue, so only the document at
   * fault fails; a single document is refused for the limit it broke.
   */
  private failed(job: Job, reason: "time" | "memory" | string): void {
    this.slow(job.group);
    if (job.call) {
      job.call.reject(reason === "time" ? new CueTimeoutError(`the CUE engine did not answer within ${this.timeoutMs} ms (${job.call.op.op})`) : new CueInternalError(reason === "memory" ? `the CUE engine ran out of memory (${job.call.op.op})` : reason));
      return;
    }
    const batch = job.validations!;
    if (batch.length > 1) {
      job.group.queue.unshift(...batch.map((q) => ({ ...q, alone: true })));
      job.group.queuedBytes += batch.reduce((n, q) => n + q.document.length, 0);
      return;
    }
    const [q] = batch;
    if (reason === "time") {
      this.counters.timeLimitExceeded++;
      q!.reject(new CueLimitError("time", `schema evaluation exceeded the time limit of ${this.evaluationTimeoutMs} ms`));
    } else if (reason === "memory") {
      this.counters.memoryLimitExceeded++;
      q!.reject(new CueLimitError("memory", `schema evaluation exceeded the memory limit of ${Math.round(this.memoryLimitBytes / 1048576)} MiB`));
    } else {
      q!.reject(new CueInternalError(reason));
    }
  }

  private onTimeout(worker: EngineWorker, job: Job): void {
    if (worker.jobs[0] !== job) return;
    this.finish(worker, job);
    this.failed(job, "time");
    // The only way to stop a wasm call that does not end is to end its thread.
    this.retire(worker);
    this.pump();
  }

  private onExit(worker: EngineWorker): void {
    if (this.closed) return;
    if (worker === this.spare) {
      this.spare = undefined;
      setTimeout(() => this.replenish(), 1000).unref();
      return;
    }
    const job = worker.jobs[0];
    if (job) {
      // Ended without answering (its JavaScript heap limit, or killed).
      this.finish(worker, job);
      this.failed(job, "the CUE worker stopped during the call");
    }
    if (!worker.isReady) return void this.startFailed(worker);
    this.retire(worker);
    this.pump();
  }

  /** A replacement that could not start: what waits fails if no worker is left, and another try follows. */
  private startFailed(worker: EngineWorker): void {
    if (this.workers.every((w) => !w.isReady || w.retired)) {
      const err = new CueInternalError("the CUE engine could not start a worker");
      for (const group of this.groups.values()) {
        for (const q of group.queue.splice(0)) q.reject(err);
        group.queuedBytes = 0;
      }
    }
    setTimeout(() => this.retire(worker), 1000).unref();
  }

  /** Replaces a worker at once; the calls it still owed outside the queues go to its replacement. */
  private retire(worker: EngineWorker): void {
    const index = this.workers.indexOf(worker);
    if (index < 0 || this.closed) return;
    this.counters.restarts++;
    worker.retired = true;
    // Messages it had not started on go back to the front of their queues, in order.
    for (const job of worker.jobs.splice(0).reverse()) this.requeue(job);
    const spare = this.spare?.isReady ? this.spare : undefined;
    if (spare) this.spare = undefined;
    const replacement = spare ?? this.spawn();
    this.workers[index] = replacement;
    for (const { call, settle } of worker.direct.values()) {
      if (call.op !== "release") this.sendDirect(replacement, call).then(settle.resolve, settle.reject);
    }
    worker.direct.clear();
    void worker.thread.terminate();
    this.replenish();
  }

  private requeue(job: Job): void {
    clearTimeout(job.timer);
    job.group.busy--;
    if (job.call) return void job.group.queue.unshift(job.call);
    job.group.queue.unshift(...job.validations!);
    job.group.queuedBytes += job.validations!.reduce((n, q) => n + q.document.length, 0);
  }

  private replenish(): void {
    if (this.closed || this.spare || this.workers.length < 2) return;
    const spare = new EngineWorker(this.init, (w, r) => this.onResponse(w, r), (w) => this.onExit(w));
    this.spare = spare;
    spare.ready.then(
      () => (spare.isReady = true),
      () => undefined,
    );
  }

  private spawn(): EngineWorker {
    const worker = new EngineWorker(this.init, (w, r) => this.onResponse(w, r), (w) => this.onExit(w));
    worker.ready.then(
      () => {
        worker.isReady = true;
        this.pump();
      },
      () => undefined,
    );
    return worker;
  }
}

function ref(d: Definition): DefinitionRef {
  return { schema: d.schema.id, definition: d.definition };
}

function unwrap(reply: EngineReply<unknown> | undefined): unknown {
  if (reply?.error) throw engineError(reply.error.kind, reply.error.message, reply.error.violations);
  if (reply?.ok === undefined) throw new CueInternalError("the CUE engine gave no answer");
  return reply.ok;
}
