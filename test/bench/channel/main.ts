import { writeSync } from "node:fs";
import { toKafkaRecord } from "@meshstream/cloudevents";
import { EmbeddedChannel, KafkaChannel, type EventChannel } from "@meshstream/channel";
import { Kafka, logLevel } from "kafkajs";
import { startKafka } from "../../harness/kafka";
import { personEvent } from "../events";
import { concurrentRate, paced, report, summarize } from "../stats";
import { tempDir } from "../../harness/temp";

// npm run bench -- channel [events per throughput run, default 100,000]
const total = Number(process.argv[3] ?? 100_000);
const event = personEvent;

/** Publishes `total` events with `concurrency` publishes of `batch` in flight, as ingest would. */
const channelRate = (channel: EventChannel, product: string, batch: number, concurrency: number) =>
  concurrentRate(total, batch, concurrency, (from) => channel.publish(Array.from({ length: batch }, (_, i) => ({ product, event: event(from + i) }))));

async function latencyAt(channel: EventChannel, product: string, perSecond: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const controller = new AbortController();
  const count = perSecond * seconds;
  const reading = (async () => {
    for await (const d of channel.subscribe({ products: [product] }, { kind: "latest" }, { signal: controller.signal })) {
      const t = sentAt.get(d.event.id);
      if (t !== undefined) latencies.push(performance.now() - t);
      if (latencies.length >= count) break;
    }
  })();
  await new Promise((r) => setTimeout(r, 2000));
  await paced(perSecond, count, (i) => {
    const e = event(i);
    sentAt.set(e.id, performance.now());
    void channel.publish([{ product, event: e }]);
  });
  const watchdog = setInterval(() => progress(`latency: ${latencies.length}/${count} delivered; ${JSON.stringify(channel.stats())}`), 2000);
  await reading;
  clearInterval(watchdog);
  controller.abort();
  return summarize(latencies);
}

const progress = (what: string) => writeSync(2, `[${new Date().toISOString().slice(11, 19)}] ${what}\n`);

export async function main(): Promise<void> {
  const broker = await startKafka();
  try {
    const settings = { idempotent: true, maxInFlightRequests: 1 } as const;
    // Baseline: a raw kafkajs producer with the same settings, same broker, same records, same batching.
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "raw.people", numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer(settings);
    await producer.connect();
    const rawRate = (batch: number, concurrency: number) =>
      concurrentRate(total, batch, concurrency, (from) => {
        const messages = Array.from({ length: batch }, (_, i) => {
          const r = toKafkaRecord(event(from + i));
          return { key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp };
        });
        return producer.send({ topic: "raw.people", acks: -1, messages });
      });
    const channel = await KafkaChannel.connect({ brokers: broker.brokers, topicPrefix: "bench." });
    progress("broker up; warming up");
    await channelRate(channel, "warmup", 100, 4);
    await rawRate(100, 4);
    progress("warm");

    const rows: [string, string][] = [];
    for (const [batch, concurrency] of [
      [100, 4],
      [1, 64],
    ] as const) {
      // Alternated rounds, best of each: the broker's own state (segment rolls, GC) varies between runs.
      let raw = 0;
      let ours = 0;
      for (let round = 0; round < 3; round++) {
        raw = Math.max(raw, await rawRate(batch, concurrency));
        ours = Math.max(ours, await channelRate(channel, `people-${batch}`, batch, concurrency));
        progress(`${batch}x${concurrency} round ${round + 1}: raw ${Math.round(raw)}, channel ${Math.round(ours)}`);
      }
      rows.push([`Kafka, ${concurrency} publishes of ${batch} in flight`, `${Math.round(ours)} events/s vs raw kafkajs ${Math.round(raw)} events/s: ratio ${(ours / raw).toFixed(2)}`]);
    }
    const kafkaLatency = await latencyAt(channel, "latency", 1000, 5);
    rows.push(["Kafka publish→delivery at 1,000 events/s", `p50 ${kafkaLatency.p50.toFixed(1)} ms, p99 ${kafkaLatency.p99.toFixed(1)} ms`]);
    await producer.disconnect();
    await channel.close();

    const embedded = EmbeddedChannel.open(tempDir("bench-embedded"));
    for (const [batch, concurrency] of [
      [100, 4],
      [1, 64],
    ] as const) {
      rows.push([`embedded, ${concurrency} publishes of ${batch} in flight`, `${Math.round(await channelRate(embedded, `people-${batch}`, batch, concurrency))} events/s`]);
    }
    const embeddedLatency = await latencyAt(embedded, "latency", 1000, 5);
    rows.push(["embedded publish→delivery at 1,000 events/s", `p50 ${embeddedLatency.p50.toFixed(1)} ms, p99 ${embeddedLatency.p99.toFixed(1)} ms`]);
    await embedded.close();
    report([["events per throughput run", total.toLocaleString("en-US")], ...rows]);
  } finally {
    await broker.destroy();
  }
}
