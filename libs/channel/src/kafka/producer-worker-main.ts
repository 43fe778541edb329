import "./request-queue-fix";
// Before kafkajs: it swaps two of kafkajs's modules before its producer takes them.
import "./record-encoding-fix";
import { parentPort, workerData } from "node:worker_threads";
import { Kafka, logLevel, type Message, type Producer } from "kafkajs";
import { ChannelError } from "../errors";
import { channelErrorOf } from "./kafka-errors";
import type { ProducerReply, ProducerRequest, ProducerThreadInit, StoredRange, ThreadWarning } from "./producer-protocol";

// The channel's idempotent producers on a thread of their own: kafkajs spends
// tens of microseconds of CPU encoding each record (its headers above all),
// which on the main thread is time taken from every call the platform serves.

// Node's warnings here (a kafkajs deprecation, say) go to the main thread, which prints or logs them as its own.
process.removeAllListeners("warning");
process.on("warning", (w: Error & { code?: string }) => parentPort!.postMessage({ warning: { name: w.name, message: w.message, code: w.code } } satisfies ThreadWarning));

const { client, lanes: laneCount = 1 } = workerData as ProducerThreadInit;
const kafka = new Kafka({ ...client, logLevel: logLevel.NOTHING });
// Retries are bounded so that a publish fails within its time-out instead of waiting forever for a broker.
const newProducer = () => kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 2000 } });

// Bytes arrive as Uint8Array (structured clone keeps no Buffer), which kafkajs would write as text.
const asBuffer = (v: unknown): Message["value"] => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : (v as string | null));

/**
 * One idempotent producer (its own producer id and connection: kafkajs's
 * holds one request in flight per broker) and the requests for it, one at a
 * time in the order sent: a replace never overtakes the send before it.
 */
class Lane {
  private producer: Producer = newProducer();
  private connected?: Promise<void>;
  private turn: Promise<unknown> = Promise.resolve();

  /** Runs `op` after the lane's requests before it. */
  next<T>(op: () => Promise<T>): Promise<T> {
    const done = this.turn.then(op);
    this.turn = done.catch(() => undefined);
    return done;
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    return this.connected;
  }

  async send(r: Extract<ProducerRequest, { op: "send" }>): Promise<StoredRange[]> {
    await this.connect();
    const metadata = await this.producer.sendBatch({
      acks: -1,
      timeout: r.timeoutMs,
      topicMessages: r.topicMessages.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ ...m, key: asBuffer(m.key ?? null), value: asBuffer(m.value) })) })),
    });
    return metadata.map((m) => ({ topicName: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? "0" }));
  }

  replace(): void {
    const failed = this.producer;
    this.producer = newProducer();
    this.connected = undefined;
    void failed.disconnect().catch(() => undefined);
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

const lanes = Array.from({ length: laneCount }, () => new Lane());

async function handle(r: ProducerRequest): Promise<ProducerReply> {
  switch (r.op) {
    case "connect":
      await Promise.all(lanes.map((l) => l.connect()));
      return { id: r.id };
    case "send":
      return { id: r.id, stored: await lanes[r.lane]!.next(() => lanes[r.lane]!.send(r)) };
    case "replace":
      await lanes[r.lane]!.next(async () => lanes[r.lane]!.replace());
      return { id: r.id };
    case "disconnect":
      await Promise.all(lanes.map((l) => l.next(() => l.disconnect())));
      return { id: r.id };
  }
}

parentPort!.on("message", (r: ProducerRequest) => {
  void handle(r).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) => {
      // Mapped here, where the kafkajs error is; the channel words it for its caller.
      const mapped = channelErrorOf(err, r.op);
      parentPort!.postMessage({ id: r.id, error: { code: mapped instanceof ChannelError ? mapped.code : "unavailable", message: err instanceof Error ? err.message : String(err) } } satisfies ProducerReply);
    },
  );
});
