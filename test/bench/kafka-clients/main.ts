import { writeSync } from "node:fs";
import { toKafkaRecord } from "@meshstream/cloudevents";
import { Producer as PlatformaticProducer, ProduceAcks, stringSerializers } from "@platformatic/kafka";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { startKafka } from "../../harness/kafka";
import { personData, personEvent } from "../events";
import { concurrentRate, latenciesAt, report, summarize } from "../stats";

// npm run bench -- kafka-clients [records per run, default 200,000]: the Kafka clients on one broker,
// writing the channel's CloudEvent records and bare records, so that the choice of kafkajs is measured:
// records/s, and the client's CPU per record (on the platform, that CPU is the ingest thread's); then
// each client sending one record per request 1,000 times a second, as the channel does for unary
// Publish calls that do not overlap: CPU per request and latency.
const total = Number(process.argv[3] ?? 200_000);
const batch = 500;
const data = personData.toString();

interface Record_ {
  readonly key?: string;
  readonly value: string;
  readonly headers?: Record<string, string>;
}

/** A person event as the channel writes it (the CloudEvents binary binding), in the clients' common shape. */
function cloudEventRecord(i?: number): Record_ {
  const r = toKafkaRecord(personEvent(i));
  return { key: String(r.key), value: data, headers: r.headers as Record<string, string> };
}

/** Batches built before the clock starts: the clients are measured, not our record construction. */
function batches(cloudEvents: boolean): Record_[][] {
  return Array.from({ length: 20 }, () => Array.from({ length: batch }, (_, i) => (cloudEvents ? cloudEventRecord(i) : { value: data })));
}

export async function main(): Promise<void> {
  const broker = await startKafka();
  const rows: [string, string][] = [];
  const result: Record<string, number> = {};
  try {
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topics = ["clients.kafkajs", "clients.platformatic", "single.kafkajs", "single.platformatic"];
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
    await admin.disconnect();

    const runs: { name: string; key: string; cloudEvents: boolean; inFlight: number; client: "kafkajs" | "platformatic"; idempotent: boolean; gzip?: boolean }[] = [
      { name: "kafkajs, CloudEvent records, idempotent, 1 batch in flight (the channel's settings)", key: "kafkajs_ce", cloudEvents: true, inFlight: 1, client: "kafkajs", idempotent: true },
      { name: "kafkajs, CloudEvent records, idempotent, 4 batches asked in flight", key: "kafkajs_ce_4", cloudEvents: true, inFlight: 4, client: "kafkajs", idempotent: true },
      { name: "kafkajs, CloudEvent records, idempotent, gzip", key: "kafkajs_ce_gzip", cloudEvents: true, inFlight: 1, client: "kafkajs", idempotent: true, gzip: true },
      { name: "kafkajs, bare records, 4 in flight", key: "kafkajs_bare", cloudEvents: false, inFlight: 4, client: "kafkajs", idempotent: false },
      { name: "@platformatic/kafka, CloudEvent records, idempotent, 1 in flight", key: "platformatic_ce", cloudEvents: true, inFlight: 1, client: "platformatic", idempotent: true },
      { name: "@platformatic/kafka, CloudEvent records, idempotent, 4 in flight", key: "platformatic_ce_4", cloudEvents: true, inFlight: 4, client: "platformatic", idempotent: true },
      { name: "@platformatic/kafka, bare records, 4 in flight", key: "platformatic_bare", cloudEvents: false, inFlight: 4, client: "platformatic", idempotent: false },
    ];
    for (const r of runs) {
      const prepared = batches(r.cloudEvents);
      let send: (i: number) => Promise<unknown>;
      let close: () => Promise<unknown>;
      if (r.client === "kafkajs") {
        const producer = kafka.producer(r.idempotent ? { idempotent: true, maxInFlightRequests: r.inFlight } : { maxInFlightRequests: r.inFlight });
        await producer.connect();
        send = (i) => producer.send({ topic: topics[0]!, acks: -1, compression: r.gzip ? CompressionTypes.GZIP : CompressionTypes.None, messages: prepared[(i / batch) % prepared.length]! });
        close = () => producer.disconnect();
      } else {
        const producer = new PlatformaticProducer({ clientId: "bench", bootstrapBrokers: broker.brokers, serializers: stringSerializers, idempotent: r.idempotent, acks: ProduceAcks.ALL });
        send = (i) => producer.send({ messages: prepared[(i / batch) % prepared.length]!.map((m) => ({ topic: topics[1]!, ...m })) });
        close = () => producer.close();
      }
      let outcome: string;
      try {
        await concurrentRate(20_000, batch, r.inFlight, send);
        const cpu = process.cpuUsage();
        const rate = await concurrentRate(total, batch, r.inFlight, send);
        const used = process.cpuUsage(cpu);
        // The client's CPU per record (this process runs nothing else meanwhile): what it would cost the platform's thread.
        outcome = `${Math.round(rate)} records/s, ${((used.user + used.system) / total).toFixed(1)} µs CPU per record`;
        result[r.key] = Math.round(rate);
      } catch (err) {
        // A client that cannot do what is asked (idempotence with several requests in flight) says so; the run goes on.
        const causes = err instanceof AggregateError ? err.errors.map(String).join("; ") : "";
        outcome = `failed: ${String(err)} ${causes}`.slice(0, 300);
      }
      await close().catch(() => undefined);
      rows.push([r.name, outcome]);
      writeSync(2, `${r.name}: ${outcome}\n`);
    }
    rows.push(...(await singleRecords(kafka, broker.brokers, topics[2]!, topics[3]!, result)));
  } finally {
    await broker.destroy();
  }
  report([["records per run (batches of 500)", total.toLocaleString("en-US")], ...rows]);
  const best = Math.max(result.platformatic_ce ?? 0, result.platformatic_ce_4 ?? 0);
  writeSync(1, `RESULT ${Object.entries(result).map(([k, v]) => `${k}=${v}`).join(" ")} ratio_ce=${(best / result.kafkajs_ce!).toFixed(2)}\n`);
}

/**
 * One CloudEvent record per request, 1,000 requests a second, each client
 * idempotent with acks from all replicas, in turns (6 rounds of 4 s): the
 * client's CPU per request (this process runs nothing else meanwhile) and
 * each request's latency. @platformatic/kafka's idempotent producer refuses
 * requests sent while one is in flight (out of order sequence numbers), so
 * its sends are chained, as the channel's lanes chain theirs; kafkajs's
 * producer (one request in flight) queues them itself.
 */
async function singleRecords(kafka: Kafka, brokers: string[], kafkajsTopic: string, platformaticTopic: string, result: Record<string, number>): Promise<[string, string][]> {
  const kafkajs = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await kafkajs.connect();
  const platformatic = new PlatformaticProducer({ clientId: "bench", bootstrapBrokers: brokers, serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL });
  let chain: Promise<unknown> = Promise.resolve();
  const clients = [
    { key: "kafkajs", send: () => kafkajs.send({ topic: kafkajsTopic, acks: -1, messages: [cloudEventRecord()] }), latencies: [] as number[], cpu: 0 },
    {
      key: "platformatic",
      send: () => {
        const m = { topic: platformaticTopic, ...cloudEventRecord() };
        const sent = chain.then(() => platformatic.send({ messages: [m] }));
        chain = sent.catch(() => undefined);
        return sent;
      },
      latencies: [] as number[],
      cpu: 0,
    },
  ];
  try {
    for (const c of clients) await latenciesAt(1000, 2, c.send);
    for (let round = 0; round < 6; round++) {
      for (const c of clients) {
        const before = process.cpuUsage();
        c.latencies.push(...(await latenciesAt(1000, 4, c.send)));
        const used = process.cpuUsage(before);
        c.cpu += used.user + used.system;
      }
    }
  } finally {
    await Promise.allSettled([kafkajs.disconnect(), platformatic.close()]);
  }
  return clients.map((c) => {
    const cpu = c.cpu / c.latencies.length;
    const l = summarize(c.latencies);
    result[`single_cpu_us_${c.key}`] = Math.round(cpu);
    result[`single_p99_ms_${c.key}`] = Number(l.p99.toFixed(2));
    return [`${c.key}, one record per request, 1,000/s`, `${cpu.toFixed(0)} µs CPU per request, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`];
  });
}
