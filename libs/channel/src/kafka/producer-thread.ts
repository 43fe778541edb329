import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { ChannelError } from "../errors";
import type { ProducerReply, ProducerRequest, ProducerThreadInit, StoredRange, ThreadWarning, TopicRecords } from "./producer-protocol";

/**
 * Structured clone copies the whole ArrayBuffer behind a view: bytes that
 * are a slice of a larger buffer (the gRPC request an event came in, Node's
 * 8 KiB pool) would cost that buffer's size on every send, not their own
 * (measured: 47–88 µs of CPU per message for a 100-byte slice of 64 KiB,
 * 6–7 µs for 100 bytes of their own).
 */
function ownBytes<T>(v: T): T {
  return v instanceof Uint8Array && v.byteLength !== v.buffer.byteLength ? (Buffer.from(new Uint8Array(v).buffer) as T) : v;
}

/** A request before it gets its id. */
type Call = { [K in ProducerRequest["op"]]: Omit<Extract<ProducerRequest, { op: K }>, "id"> }[ProducerRequest["op"]];

/**
 * The channel's producers, run on a thread of their own (producer-worker-main.ts):
 * kafkajs idempotent producers, one per lane, with the cost of encoding
 * records off the thread that serves calls. A thread that dies fails
 * what it had in hand (unavailable: not acknowledged) and is started again
 * for the next request.
 */
export class ProducerThread {
  private worker?: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(r: ProducerReply): void }>();

  constructor(private readonly init: ProducerThreadInit) {}

  async connect(): Promise<void> {
    await this.call({ op: "connect" });
  }

  /**
   * Stores the records in one produce request (acks=all) through the producer
   * of `lane`, after the requests sent to it before; resolves where each
   * partition's records went. Fails with a ChannelError of the code the
   * failure means and kafkajs's message.
   */
  async send(lane: number, topicMessages: readonly TopicRecords[], timeoutMs: number): Promise<readonly StoredRange[]> {
    for (const t of topicMessages) {
      for (const m of t.messages) {
        m.key = ownBytes(m.key);
        m.value = ownBytes(m.value);
      }
    }
    return (await this.call({ op: "send", lane, timeoutMs, topicMessages })).stored ?? [];
  }

  /** The lane's next sends go through a new producer (a new producer id). */
  async replace(lane: number): Promise<void> {
    await this.call({ op: "replace", lane });
  }

  /**
   * Disconnects the producer and ends the thread. A send still in hand (a
   * broker gone, kafkajs retrying) is not waited for past `graceMs`: it
   * fails, unacknowledged, with the thread.
   */
  async close(graceMs = 2000): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.call({ op: "disconnect" }), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    } catch {
      // Disconnecting from a broker that is gone: the thread ends all the same.
    } finally {
      clearTimeout(timer);
      this.worker = undefined;
      await worker.terminate();
    }
  }

  private async call(call: Call): Promise<Extract<ProducerReply, { stored?: unknown }>> {
    const worker = this.thread();
    const id = this.nextId++;
    const reply = await new Promise<ProducerReply>((resolve) => {
      this.waiting.set(id, { resolve });
      // A request in hand keeps the process alive, an idle thread does not.
      worker.ref();
      worker.postMessage({ ...call, id } as ProducerRequest);
    });
    if ("error" in reply) throw new ChannelError(reply.error.code, reply.error.message);
    return reply;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(join(__dirname, "producer-worker.js"), { workerData: this.init });
    worker.on("message", (r: ProducerReply | ThreadWarning) => {
      if ("warning" in r) return process.emitWarning(r.warning.message, { type: r.warning.name, code: r.warning.code });
      const waiter = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (this.waiting.size === 0) worker.unref();
      waiter?.resolve(r);
    });
    const fail = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      const waiting = [...this.waiting];
      this.waiting.clear();
      for (const [id, w] of waiting) w.resolve({ id, error: { code: "unavailable", message: `the producer thread ${why}` } });
    };
    worker.on("error", (err) => fail(`failed: ${err.message}`));
    worker.on("exit", (code) => fail(`exited (${code})`));
    this.worker = worker;
    return worker;
  }
}
