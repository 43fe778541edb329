import { randomUUID } from "node:crypto";
import { writeSync } from "node:fs";
import { KafkaChannel } from "@meshstream/channel";
import { IngestService, SubscribeService, type SubscribeResponse } from "@meshstream/proto";
import { Kafka, logLevel } from "kafkajs";
import { TestClient } from "../../harness/grpc-client";
import { startKafka } from "../../harness/kafka";
import { startPlatform } from "../../harness/platform";
import { cpuMicrosPer, paced, report, summarize } from "../stats";

// npm run bench -- subscribe [events, default 50,000] [filters]: latency at 1,000 events/s from a unary Publish
// to the delivery and from a write straight to Kafka to the delivery (the subscribe path alone),
// live delivery throughput to 1 and to 100 subscribers over real gRPC (bursts the shared ring holds),
// replay of everything stored by 1 subscriber next to a raw kafkajs consumer on the same topic, and
// live delivery to 1 subscriber with a 5-clause SQL filter next to the type filter alone (`filters`: only that),
// and 100 laggards: subscribers from the earliest event, all behind the tail's ring, counting the platform's
// Kafka consumers while they read (`laggards`: only that).
const total = Number(process.argv[3] ?? 50_000);
const onlyFilters = process.argv[4] === "filters";
const onlyLaggards = process.argv[4] === "laggards";
// The burst for 100 subscribers stays within the tail's ring (10,000 records): subscribers that all
// fall behind it at once each need a replay consumer of their own (see libs/channel/README.md).
const burst = Math.min(total, 8_000);
const type = "MySource:newPerson";
const filter = { types: [type] };
type SubscribeFilter = { types?: string[]; sql?: string };
// Five clauses on attributes and data that every bench event passes, so that both subscribers deliver the same events.
const sqlFilter = { sql: `type = '${type}' AND source = '/people' AND data.Age >= 18 AND data.first LIKE 'J%' AND data.Last IN ('Doe', 'Roe')` };
const progress = (what: string) => writeSync(2, `${what}\n`);
const data = Buffer.from(JSON.stringify({ first: "John", Last: "Doe", Age: 40 }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Subscribers that count what they receive (keeping millions of messages would measure the bench, not the platform). */
function subscribers(address: string, count: number, start: "latest" | "earliest", onMessage?: (m: SubscribeResponse) => void, requested: SubscribeFilter = filter) {
  const clients = Array.from({ length: count }, () => new TestClient(address, { "grpc.use_local_subchannel_pool": 1 }));
  const received = new Array<number>(count).fill(0);
  const calls = clients.map((c, i) => {
    const call = c.serverStream(SubscribeService.method.subscribe, { filter: requested, start: { start: { case: start, value: true } } });
    call.on("data", (m: SubscribeResponse) => {
      received[i]!++;
      onMessage?.(m);
    });
    call.on("error", () => undefined);
    return call;
  });
  return {
    ready: Promise.all(calls.map((c) => new Promise((resolve) => c.once("metadata", resolve)))),
    /** Resolves once every subscriber has `n` messages. */
    each: async (n: number) => {
      const deadline = Date.now() + 300_000;
      while (received.some((r) => r < n)) {
        if (Date.now() > deadline) throw new Error(`subscribers got ${Math.min(...received)} of ${n} events within 300 s`);
        await sleep(5);
      }
    },
    close: () => {
      for (const c of calls) c.cancel();
      for (const c of clients) c.close();
    },
  };
}

/**
 * Publishes at `rate` per second, one event at a time, and returns each one's publish→delivery time:
 * through the platform's unary Publish, or written straight to Kafka (the subscribe path alone).
 */
async function latencyAt(address: string, rate: number, seconds: number, publish: (id: string) => Promise<unknown>): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const subscriber = subscribers(address, 1, "latest", (m) => {
    const t = sentAt.get(m.delivery!.event!.id);
    if (t !== undefined) latencies.push(performance.now() - t);
  });
  await subscriber.ready;
  const calls = await paced(rate, rate * seconds, () => {
    const id = randomUUID();
    sentAt.set(id, performance.now());
    return publish(id);
  });
  await Promise.all(calls);
  const deadline = Date.now() + 10_000;
  while (latencies.length < rate * seconds && Date.now() < deadline) await sleep(10);
  subscriber.close();
  if (latencies.length < rate * seconds) throw new Error(`only ${latencies.length} of ${rate * seconds} events delivered`);
  return latencies;
}

const stored = (id: string) => ({ product: "people", event: { specversion: "1.0" as const, id, source: "/people", type, datacontenttype: "application/json", extensions: {}, data } });

/** Stores `events` events, then times `count` subscribers that each read all of them as they arrive. */
async function fanOut(address: string, channel: KafkaChannel, count: number, events: number, requested: SubscribeFilter = filter): Promise<number> {
  const subs = subscribers(address, count, "latest", undefined, requested);
  await subs.ready;
  const started = performance.now();
  for (let i = 0; i < events; i += 1000) {
    await channel.publish(
      Array.from({ length: Math.min(1000, events - i) }, () => stored(randomUUID())),
    );
  }
  await subs.each(events);
  const seconds = (performance.now() - started) / 1000;
  subs.close();
  return (events * count) / seconds;
}

/** Times one subscriber reading every stored event from the earliest. */
async function replay(address: string, stored: number): Promise<number> {
  const started = performance.now();
  const subs = subscribers(address, 1, "earliest");
  await subs.each(stored);
  const rate = stored / ((performance.now() - started) / 1000);
  subs.close();
  return rate;
}

/**
 * A raw kafkajs consumer's rate reading the `stored` records of `topic`, timed
 * from its group join to its last record: its reading speed, without the
 * join (about 0.1 s, a quarter of a read this short; the laggards' setup is
 * spread over their whole run). The best of `runs` reads, each in a fresh
 * group: a read lasts well under a second, so one read alone moves with the
 * machine's load.
 */
async function rawConsumer(brokers: string[], topic: string, stored: number, runs = 3): Promise<number> {
  let best = 0;
  for (let run = 0; run < runs; run++) best = Math.max(best, await rawRead(brokers, topic, stored));
  return best;
}

async function rawRead(brokers: string[], topic: string, stored: number): Promise<number> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let read = 0;
  let joined = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = performance.now()));
  const ended = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        // Like a subscriber: every event's headers read and its data handed on.
        for (const m of batch.messages) if (m.headers?.ce_type && m.value) read++;
        if (read >= stored) resolve(performance.now());
      },
    });
  });
  await consumer.disconnect();
  return stored / ((ended - joined) / 1000);
}

/** The platform's Kafka consumers open now (tails and shared replays), from its metrics. */
async function consumersOpen(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("meshstream_channel_consumers "));
  if (!line) throw new Error("the platform has no meshstream_channel_consumers metric");
  return Number(line.split(" ")[1]);
}

/**
 * 100 subscribers from the earliest of `stored` events, more than the tail's ring holds (10,000): they read
 * through replays, which readers near each other share. Their total delivery rate, the most consumers the
 * platform had open on the topic (one partition) meanwhile, tail included, and a raw kafkajs consumer's rate
 * reading the same events, measured right after.
 */
async function laggards(platform: { address: string; metricsAddress: string; process: { pid?: number } }, brokers: string[], topic: string, stored: number) {
  let most = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      most = Math.max(most, await consumersOpen(platform.metricsAddress));
      // A replay lives as long as its readers read (seconds here); a scrape costs the platform a little CPU.
      await sleep(250);
    }
  })();
  const started = performance.now();
  const platformCpu = cpuMicrosPer([platform.process.pid!], stored * 100);
  const subs = subscribers(platform.address, 100, "earliest");
  try {
    await subs.each(stored);
  } finally {
    sampling = false;
    await sampler;
    subs.close();
  }
  const total = (stored * 100) / ((performance.now() - started) / 1000);
  const cpuMicros = platformCpu()[0]!;
  const raw = await rawConsumer(brokers, topic, stored);
  return { total, raw, most, cpuMicros };
}

async function storeLaggards(channel: KafkaChannel, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) await channel.publish(Array.from({ length: Math.min(1000, count - i) }, () => stored(randomUUID())));
}

export async function main(): Promise<void> {
  const broker = await startKafka();
  const prefix = "bench.";
  const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(","), MESHSTREAM_KAFKA_TOPIC_PREFIX: prefix });
  const channel = await KafkaChannel.connect({ brokers: broker.brokers, topicPrefix: prefix });
  const rows: [string, string][] = [];
  let result = "";
  try {
    if (onlyLaggards) {
      await storeLaggards(channel, total);
      const l = await laggards(platform, broker.brokers, `${prefix}people`, total);
      rows.push(...laggardRows(l, total));
      result = laggardResult(l);
      return;
    }
    // The type filter alone, then the SQL filter, twice each in turns (the machine's load drifts): the best of each.
    const filtered = Math.min(total, 20_000);
    const rates = { type: [] as number[], sql: [] as number[] };
    await fanOut(platform.address, channel, 1, 2_000); // warm-up
    for (let round = 0; round < 2; round++) {
      rates.type.push(await fanOut(platform.address, channel, 1, filtered));
      rates.sql.push(await fanOut(platform.address, channel, 1, filtered, sqlFilter));
    }
    const [byType, bySql] = [Math.max(...rates.type), Math.max(...rates.sql)];
    rows.push([`live delivery to 1 subscriber, type filter alone (${filtered.toLocaleString("en-US")} events, best of 2)`, `${Math.round(byType)} events/s`]);
    rows.push([`live delivery to 1 subscriber, 5-clause SQL filter (same)`, `${Math.round(bySql)} events/s (ratio ${(bySql / byType).toFixed(2)}, target 0.70)`]);
    result = `RESULT subscribe_type_filter_eps=${Math.round(byType)} subscribe_sql_filter_eps=${Math.round(bySql)} sql_filter_ratio=${(bySql / byType).toFixed(2)}`;
    progress("filters done");
    if (onlyFilters) return;

    const publisher = new TestClient(platform.address);
    const viaPlatform = (id: string) => publisher.unary(IngestService.method.publish, { event: { type, id, payload: { case: "dataJson", value: data } } });
    const viaKafka = (id: string) => channel.publish([stored(id)]);
    await latencyAt(platform.address, 200, 2, viaPlatform); // warm-up
    const latency = summarize(await latencyAt(platform.address, 1000, 10, viaPlatform));
    const kafkaLatency = summarize(await latencyAt(platform.address, 1000, 10, viaKafka));
    publisher.close();
    const show = (l: typeof latency) => `p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`;
    rows.push(["publish→delivery at 1,000 events/s, unary Publish (10 s)", show(latency)]);
    rows.push(["store→delivery at 1,000 events/s, written to Kafka by the bench (10 s)", show(kafkaLatency)]);
    progress("latency done");

    const one = await fanOut(platform.address, channel, 1, total);
    rows.push([`live delivery to 1 subscriber (${total.toLocaleString("en-US")} events)`, `${Math.round(one)} events/s`]);
    progress("1 subscriber done");
    const hundred = await fanOut(platform.address, channel, 100, burst);
    rows.push([`live delivery to 100 subscribers (${burst.toLocaleString("en-US")} events, sum)`, `${Math.round(hundred)} events/s (${Math.round(hundred / 100)} per subscriber)`]);
    progress("100 subscribers done");

    const all = 400 + 20_000 + total + burst;
    const ours = await replay(platform.address, all);
    const raw = await rawConsumer(broker.brokers, `${prefix}people`, all);
    rows.push([`replay of ${all.toLocaleString("en-US")} stored events, 1 subscriber`, `${Math.round(ours)} events/s`]);
    rows.push(["raw kafkajs consumer, same topic, from the beginning (best of 3, from its group join)", `${Math.round(raw)} events/s (ratio ${(ours / raw).toFixed(2)})`]);
    progress("replay done");
    const l = await laggards(platform, broker.brokers, `${prefix}people`, all);
    rows.push(...laggardRows(l, all));
    result += ` ${laggardResult(l).slice("RESULT ".length)}`;
  } finally {
    await channel.close();
    await platform.stop();
    await broker.destroy();
    report([["events per throughput run", total.toLocaleString("en-US")], ...rows]);
    if (result) writeSync(1, `${result}\n`);
  }
}

type Laggards = Awaited<ReturnType<typeof laggards>>;

function laggardRows(l: Laggards, stored: number): [string, string][] {
  return [
    [`100 laggards from the earliest of ${stored.toLocaleString("en-US")} events (behind the ring), total`, `${Math.round(l.total)} events/s (${Math.round(l.total / 100)} per subscriber)`],
    ["raw kafkajs consumer, same events, right after (best of 3, from its group join)", `${Math.round(l.raw)} events/s (ratio ${(l.total / l.raw).toFixed(2)}, target 0.50)`],
    ["most Kafka consumers the platform had open meanwhile (one partition: tail and replays)", `${l.most} (target 2)`],
    ["platform CPU (user + system, all threads) per delivery meanwhile", `${l.cpuMicros.toFixed(1)} µs`],
  ];
}

function laggardResult(l: Laggards): string {
  return `RESULT laggards_total_eps=${Math.round(l.total)} laggards_raw_eps=${Math.round(l.raw)} laggards_ratio=${(l.total / l.raw).toFixed(2)} laggards_max_consumers=${l.most} laggards_platform_cpu_us=${l.cpuMicros.toFixed(1)}`;
}
