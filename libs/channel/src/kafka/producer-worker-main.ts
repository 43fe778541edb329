import "./request-queue-fix";
// Before kafkajs: it swaps two of kafkajs's modules before its producer takes them.
import "./record-encoding-fix";
import { parentPort, workerData } from "node:worker_threads";
import { Kafka, logLevel, type Message, type Producer } from "kafkajs";
import { ChannelError } from "../errors";
import { channelErrorOf } from "./kafka-errors";
import type { ProducerReply, ProducerRequest, ProducerThreadInit, StoredRange } from "./producer-protocol";

// The channel's idempotent producer on a thread of its own: kafkajs spends
// tens of microseconds of CPU encoding each record (its headers above all),
// which on the main thread is time taken from every call the platform serves.

const { client } = workerData as ProducerThreadInit;
const kafka = new Kafka({ ...client, logLevel: logLevel.NOTHING });
// Retries are bounded so that a publish fails within its time-out instead of waiting forever for a broker.
const newProducer = () => kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 2000 } });
let producer: Producer = newProducer();
let connected: Promise<void> | undefined;

function connect(): Promise<void> {
  connected ??= producer.connect().catch((err: unknown) => {
    connected = undefined;
    throw err;
  });
  return connected;
}

// Bytes arrive as Uint8Array (structured clone keeps no Buffer), which kafkajs would write as text.
const asBuffer = (v: unknown): Message["value"] => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : (v as string | null));

async function handle(r: ProducerRequest): Promise<ProducerReply> {
  switch (r.op) {
    case "connect":
      await connect();
      return { id: r.id };
    case "send": {
      await connect();
      const metadata = await producer.sendBatch({
        acks: -1,
        timeout: r.timeoutMs,
        topicMessages: r.topicMessages.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ ...m, key: asBuffer(m.key ?? null), value: asBuffer(m.value) })) })),
      });
      const stored: StoredRange[] = metadata.map((m) => ({ topicName: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? "0" }));
      return { id: r.id, stored };
    }
    case "replace": {
      const failed = producer;
      producer = newProducer();
      connected = undefined;
      void failed.disconnect().catch(() => undefined);
      return { id: r.id };
    }
    case "disconnect":
      await producer.disconnect();
      return { id: r.id };
  }
}

// One request at a time, in the order sent: a replace never overtakes the send before it.
let turn: Promise<void> = Promise.resolve();
parentPort!.on("message", (r: ProducerRequest) => {
  turn = turn.then(async () => {
    let reply: ProducerReply;
    try {
      reply = await handle(r);
    } catch (err) {
      // Mapped here, where the kafkajs error is; the channel words it for its caller.
      const mapped = channelErrorOf(err, r.op);
      reply = { id: r.id, error: { code: mapped instanceof ChannelError ? mapped.code : "unavailable", message: err instanceof Error ? err.message : String(err) } };
    }
    parentPort!.postMessage(reply);
  });
});
