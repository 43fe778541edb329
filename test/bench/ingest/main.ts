import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { IdempotentAppender, type OutgoingEvent, type PartitionedLog } from "@meshstream/channel";
import { Health, IngestService, PublishStreamRequestSchema, type PublishStreamResponse } from "@meshstream/proto";
import * as grpc from "@grpc/grpc-js";
import { Kafka, logLevel, type Message } from "kafkajs";
import { methodPath, TestClient } from "../../harness/grpc-client";
import { startKafka } from "../../harness/kafka";
import { PLATFORM_NODE_FLAGS, startPlatform, type RunningPlatform } from "../../harness/platform";
import { personData, personEvent, personRecord } from "../events";
import { ghzLatencies } from "../ghz";
import { concurrentRate, cpuMicrosPer, cpuSeconds, latenciesAt, mainThreadCpuSeconds, median, report, summarize } from "../stats";
import { authOverhead } from "./auth";
import { kafkaFloor } from "./kafka-floor";

// npm run bench -- ingest [events, default 60,000: a stream of ~3 s, long enough to outlast the machine's noise] [auth]: PublishStream throughput of the running platform
// over real gRPC, embedded and on Kafka, next to a raw kafkajs producer writing the same events, the
// latency of unary Publish calls at 1,000 requests/s on Kafka from ghz (a Go load generator: see
// ../ghz.ts) next to two floors (Health/Check from ghz, a raw kafkajs send), and access control's cost
// (auth none vs jwt, in one run); with "auth", only the latter; with "idempotency", only PublishStream
// with the idempotency window on (the default) and off, embedded and on Kafka, in turns; with
// "semispace", only PublishStream on Kafka with and without the start commands' V8 flags
// (PLATFORM_NODE_FLAGS), in turns; with "unary", only unary Publish's latency taken
// apart (Health, Publish embedded and on Kafka, Kafka's floor, and Health and Publish on Kafka from a
// grpc-js client, in turns) with the platforms' GC meanwhile.
const total = Number(process.argv[3] ?? 60_000);
const onlyAuth = process.argv[4] === "auth";
const onlyIdempotency = process.argv[4] === "idempotency";
const data = personData;
const progress = (what: string) => writeSync(2, `${what}\n`);

/** One PublishStream of `total` events as fast as flow control allows: events/s, and each event's time from write to answer. */
export async function publishStream(address: string, metadata?: grpc.Metadata, withIds = false): Promise<{ rate: number; latencies: number[] }> {
  const client = new TestClient(address);
  // The load generator encodes each request once (identical requests, when the platform makes the ids):
  // its CPU is taken from the same two cores as the platform's.
  const method = IngestService.method.publishStream;
  const call = client.raw.makeBidiStreamRequest(methodPath(method), (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength), (b: Buffer) => fromBinary(method.output, b), metadata ?? new grpc.Metadata());
  const written: number[] = [];
  const latencies: number[] = [];
  const started = performance.now();
  let failed = 0;
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (r: PublishStreamResponse) => {
      latencies.push(performance.now() - written[latencies.length]!);
      if (r.result?.result.case !== "receipt") failed++;
    });
    call.on("end", resolve);
    call.on("error", reject);
  });
  const input = { type: "MySource:newPerson", payload: { case: "dataJson" as const, value: data } };
  const request = toBinary(PublishStreamRequestSchema, create(PublishStreamRequestSchema, { event: input }));
  for (let i = 0; i < total; i++) {
    written.push(performance.now());
    // With ids of the client's own (what the idempotency window remembers), or ids the platform makes.
    const next = withIds ? toBinary(PublishStreamRequestSchema, create(PublishStreamRequestSchema, { event: { ...input, id: randomUUID() } })) : request;
    if (!call.write(next)) await new Promise((r) => call.once("drain", r));
  }
  call.end();
  await done;
  client.close();
  if (latencies.length !== total || failed > 0) throw new Error(`${latencies.length} answers, ${failed} failed`);
  return { rate: total / ((performance.now() - started) / 1000), latencies };
}

type Summary = ReturnType<typeof summarize>;
const show = (l: Summary) => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(1)} ms`;
const publishInput = { event: { type: "MySource:newPerson", payload: { case: "dataJson" as const, value: data } } };
const publishOne = (client: TestClient) => client.unary(IngestService.method.publish, publishInput);
// The floor of this client, server and machine: a call that does nothing.
const healthCheck = (client: TestClient) => client.unary(Health.method.check, {});

/** Unary calls at a steady `rate` for `seconds`; each call's latency, from the client's side. */
export async function unaryAt(address: string, rate: number, seconds: number, call: (client: TestClient) => Promise<unknown> = publishOne): Promise<number[]> {
  const client = new TestClient(address);
  const latencies = await latenciesAt(rate, seconds, () => call(client));
  client.close();
  return latencies;
}

/** One kind of call at 1,000/s for `seconds`: each call's latency. */
type Turn = (seconds: number) => Promise<number[]>;
const fromNode = (send: () => Promise<unknown>): Turn => (seconds) => latenciesAt(1000, seconds, send);
const fromGhz = (address: string, method: "health" | "publish"): Turn => (seconds) =>
  method === "health" ? ghzLatencies(address, Health.method.check, {}, 1000, seconds) : ghzLatencies(address, IngestService.method.publish, publishInput, 1000, seconds);

/**
 * A turn that also adds up the CPU the platform (`pid`) used during it, all
 * its threads and its main thread alone: per call, what the two cores give
 * each call, which on this machine is what bounds the tail (the broker and
 * the load generator share them).
 */
function metered(turn: Turn, pid: number): Turn & { perCall(): { all: number; main: number } } {
  let calls = 0;
  let all = 0;
  let main = 0;
  const run = async (seconds: number) => {
    const [all0, main0] = [cpuSeconds(pid), mainThreadCpuSeconds(pid)];
    const latencies = await turn(seconds);
    all += cpuSeconds(pid) - all0;
    main += mainThreadCpuSeconds(pid) - main0;
    calls += latencies.length;
    return latencies;
  };
  return Object.assign(run, { perCall: () => ({ all: Math.round((1e6 * all) / calls), main: Math.round((1e6 * main) / calls) }) });
}
const showCpu = ({ all, main }: { all: number; main: number }) => `${all} µs (main thread ${main} µs)`;

/**
 * Each kind of call at 1,000 per second in turns, `rounds` of `seconds` each,
 * latencies pooled per kind: so that all meet the same moments of a shared
 * machine (a stall of the VM, another process's burst), which one run of each
 * after the other did not. Each is warmed up first.
 */
async function inTurns(kinds: readonly Turn[], rounds = 4, seconds = 5): Promise<Summary[]> {
  for (const turn of kinds) await turn(3);
  const pooled = kinds.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, turn] of kinds.entries()) pooled[i]!.push(...(await turn(seconds)));
  }
  return pooled.map(summarize);
}

/**
 * Unary Publish on Kafka (from ghz) in turns with its two floors,
 * Health/Check on the same platform (from ghz) and Kafka's own; with the
 * platform's CPU per Publish and per Health call.
 */
async function unaryAgainstFloors(platform: RunningPlatform, brokers: readonly string[], topic: string) {
  const kafka = await kafkaFloor(brokers, topic);
  try {
    const [publish, health] = [metered(fromGhz(platform.address, "publish"), platform.process.pid!), metered(fromGhz(platform.address, "health"), platform.process.pid!)];
    const [unary, floor, raw] = await inTurns([publish, health, kafka.turn]);
    return { unary: unary!, floor: floor!, kafka: raw!, cpu: { unary: publish.perCall(), floor: health.perCall() } };
  } finally {
    await kafka.close();
  }
}

/**
 * A kafkajs producer alone on the same broker, `total` records in batches of
 * 500: our CloudEvent records as the channel writes them (idempotent, one
 * batch at a time), or bare records (value only, four batches in flight).
 */
export async function rawProducer(brokers: readonly string[], topic: string, cloudEvents: boolean, count = total): Promise<number> {
  const kafka = new Kafka({ brokers: [...brokers], logLevel: logLevel.NOTHING });
  const producer = cloudEvents ? kafka.producer({ idempotent: true, maxInFlightRequests: 1 }) : kafka.producer({ maxInFlightRequests: 4 });
  await producer.connect();
  const batch = (): Message[] => Array.from({ length: 500 }, () => (cloudEvents ? personRecord() : { value: data }));
  const rate = await concurrentRate(count, 500, cloudEvents ? 1 : 4, () => producer.send({ topic, acks: -1, messages: batch() }));
  await producer.disconnect();
  return rate;
}

/**
 * rawProducer with our CloudEvent records, in a process of its own that loads
 * the platform's record encoding (libs/channel's record-encoding-fix) before
 * kafkajs, as the platform's producer thread does: the baseline of the
 * client the platform really runs. The rows above are kafkajs as released.
 */
async function rawProducerWithOurEncoding(brokers: readonly string[], topic: string): Promise<{ rate: number; cpuMicrosPerRecord: number }> {
  const fix = join(__dirname, "../../../libs/channel/src/kafka/record-encoding-fix.ts");
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, "-r", fix, join(__dirname, "raw-producer.ts"), brokers.join(","), topic, String(total)], { cwd: join(__dirname, "../../..") });
  return JSON.parse(stdout) as { rate: number; cpuMicrosPerRecord: number };
}

export async function main(): Promise<void> {
  const auth = async () => {
    const overhead = await authOverhead(total, publishStream);
    progress("auth on/off done");
    return overhead;
  };
  const resultLine = (result: Record<string, number | string>) => `RESULT ${Object.entries(result).map(([k, v]) => `${k}=${v}`).join(" ")}\n`;
  if (onlyAuth) {
    const access = await auth();
    report([["events per run", total.toLocaleString("en-US")], ...access.rows]);
    writeSync(1, resultLine(access.result));
    return;
  }
  if (onlyIdempotency) {
    const { rows, result } = await idempotencyCost();
    const cpu = await windowCpu();
    rows.push(["the window's own CPU per event, in process (batches of 1,000, 300,000 events, window full)", `${cpu.toFixed(2)} µs`]);
    const perEvent = 1e6 / result.kafka_off_eps!;
    rows.push(["…against the time per event of PublishStream on Kafka, window off", `${perEvent.toFixed(1)} µs (${((100 * cpu) / perEvent).toFixed(1)}%)`]);
    result.window_us_per_event = Number(cpu.toFixed(2));
    result.window_share_pct = Number(((100 * cpu) / perEvent).toFixed(1));
    report([["events per stream", total.toLocaleString("en-US")], ...rows]);
    writeSync(1, resultLine(result));
    return;
  }
  // Modes whose rows begin with what they ran on, and whose RESULT line ends with the Node version.
  const alone = new Map([
    ["semispace", startFlagsGain],
    ["unary", unaryBreakdown],
  ]).get(process.argv[4] ?? "");
  if (alone) {
    const { rows, result } = await alone();
    report(rows);
    writeSync(1, resultLine({ ...result, node: process.versions.node }));
    return;
  }
  const rows: [string, string][] = [];
  const result: Record<string, number> = {};
  const embedded = await startPlatform();
  try {
    await publishStream(embedded.address);
    const { rate, latencies } = await publishStream(embedded.address);
    rows.push(["PublishStream, embedded channel", `${Math.round(rate)} events/s; write→answer at full speed, queueing included: ${show(summarize(latencies))}`]);
  } finally {
    await embedded.stop();
  }
  progress("embedded done");
  const broker = await startKafka();
  try {
    const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
    try {
      await publishStream(platform.address);
      const cpu = cpuMicrosPer([platform.process.pid!, process.pid, broker.pid()!], total);
      const ours = await publishStream(platform.address);
      const [server, client, kafka] = cpu().map(Math.round);
      const rawCpu = cpuMicrosPer([process.pid, broker.pid()!], total);
      const records = await rawProducer(broker.brokers, "meshstream.people", true);
      const [producer, rawKafka] = rawCpu().map(Math.round);
      const bare = await rawProducer(broker.brokers, "meshstream.people", false);
      const brokerCpu = cpuMicrosPer([broker.pid()!], total);
      const encoded = await rawProducerWithOurEncoding(broker.brokers, "meshstream.people");
      const [encodedKafka] = brokerCpu().map(Math.round);
      rows.push(["PublishStream, Kafka channel", `${Math.round(ours.rate)} events/s; write→answer at full speed, queueing included: ${show(summarize(ours.latencies))}`]);
      // Where the machine's cores go: the bound the three processes together put on events/s here.
      const bound = (1e6 * availableParallelism()) / (server! + client! + kafka!);
      rows.push(["…CPU per event: platform, this bench's client, the broker", `${server} µs, ${client} µs, ${kafka} µs (${availableParallelism()} cores: at most ${Math.round(bound)} events/s)`]);
      rows.push(["raw kafkajs, our CloudEvent records (idempotent, batches of 500 awaited)", `${Math.round(records)} records/s (ratio ${(ours.rate / records).toFixed(2)})`]);
      rows.push(["…CPU per record of the raw producer (our records), the broker", `${producer} µs, ${rawKafka} µs`]);
      rows.push(["raw kafkajs, bare records (no headers, 4 batches of 500 in flight)", `${Math.round(bare)} records/s (ratio ${(ours.rate / bare).toFixed(2)})`]);
      rows.push(["raw kafkajs with the platform's record encoding, our CloudEvent records", `${Math.round(encoded.rate)} records/s (ratio ${(ours.rate / encoded.rate).toFixed(2)})`]);
      rows.push(["…CPU per record of that producer, the broker", `${Math.round(encoded.cpuMicrosPerRecord)} µs, ${encodedKafka} µs`]);
      result.stream_eps = Math.round(ours.rate);
      result.raw_eps = Math.round(records);
      result.ratio = Number((ours.rate / records).toFixed(2));
      result.raw_encoded_eps = Math.round(encoded.rate);
      result.ratio_encoded = Number((ours.rate / encoded.rate).toFixed(2));
      progress("PublishStream on Kafka done");
      const { unary, floor, kafka: kafkaFloor, cpu: callCpu } = await unaryAgainstFloors(platform, broker.brokers, "meshstream.people");
      rows.push(["unary Publish at 1,000 req/s from ghz, 4 × 5 s, Kafka channel", show(unary)]);
      rows.push(["…the platform's CPU per Publish call", showCpu(callCpu.unary)]);
      rows.push(["unary Health/Check at 1,000 req/s from ghz, 4 × 5 s in turns with Publish (the floor)", show(floor)]);
      rows.push(["…the platform's CPU per Health/Check call", showCpu(callCpu.floor)]);
      rows.push(["raw kafkajs, one record per send at 1,000/s, 4 × 5 s in turns, a process of its own (Kafka's floor)", show(kafkaFloor)]);
      result.unary_p50_ms = Number(unary.p50.toFixed(2));
      result.unary_p99_ms = Number(unary.p99.toFixed(2));
      result.floor_p99_ms = Number(floor.p99.toFixed(2));
      result.kafka_floor_p99_ms = Number(kafkaFloor.p99.toFixed(2));
      result.unary_cpu_us = callCpu.unary.all;
      result.floor_cpu_us = callCpu.floor.all;
    } finally {
      await platform.stop();
    }
  } finally {
    await broker.destroy();
  }
  const access = await auth();
  report([["events per run; Node (platform and this client)", `${total.toLocaleString("en-US")}; ${process.version}`], ...rows, ...access.rows]);
  const keys = ["stream_eps", "raw_eps", "ratio", "unary_p50_ms", "unary_p99_ms", "floor_p99_ms", "kafka_floor_p99_ms", "unary_cpu_us", "floor_cpu_us"];
  writeSync(1, resultLine({ ...Object.fromEntries(keys.map((k) => [k, result[k]!])), ...access.result, node: process.versions.node }));
}

/**
 * Where a unary Publish's time goes, at 1,000 calls/s in turns: from ghz,
 * Health/Check (the gRPC floor), Publish on the embedded channel (validation,
 * the CloudEvent and a durable write, no Kafka) and Publish on Kafka, also
 * with one produce request in flight at a time (as before lanes); Kafka's
 * own floor; and Health and Publish on Kafka from a grpc-js client; with the
 * platform's CPU per call from ghz, and the collections of each platform's
 * main thread meanwhile, from its own metrics (a pause there stalls every
 * call it serves).
 */
async function unaryBreakdown(): Promise<{ rows: [string, string][]; result: Record<string, number> }> {
  const broker = await startKafka();
  const platforms: RunningPlatform[] = [];
  let grpcJs: TestClient | undefined;
  let kafka: Awaited<ReturnType<typeof kafkaFloor>> | undefined;
  try {
    const onKafka = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
    const embedded = await startPlatform();
    const serial = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(","), MESHSTREAM_KAFKA_MAX_IN_FLIGHT: "1" });
    // The Kafka platform serves Health/Check too: its collections are those of both kinds of calls.
    platforms.push(onKafka, embedded, serial);
    const client = (grpcJs = new TestClient(onKafka.address));
    // A new broker (its JVM still compiling) is slow on its first produce requests: in 10 s turns of Kafka's floor at 1,000/s
    // it spent 1,230, 542, then 289 µs of CPU per request (p50 5.8 s, 1.5 ms, then 0.9 ms). The default run
    // comes here after its streams; this mode gives the broker (and the platform) 30 s of Publish first.
    await fromGhz(onKafka.address, "publish")(30);
    kafka = await kafkaFloor(broker.brokers, "meshstream.people");
    const kinds: { key: string; name: string; turn: Turn | ReturnType<typeof metered> }[] = [
      { key: "health", name: "Health/Check (the gRPC floor), from ghz", turn: metered(fromGhz(onKafka.address, "health"), onKafka.process.pid!) },
      { key: "embedded", name: "Publish, embedded channel, from ghz", turn: metered(fromGhz(embedded.address, "publish"), embedded.process.pid!) },
      { key: "kafka", name: "Publish, Kafka channel, from ghz", turn: metered(fromGhz(onKafka.address, "publish"), onKafka.process.pid!) },
      { key: "kafka_serial", name: "Publish, Kafka channel, one request in flight (MAX_IN_FLIGHT=1), from ghz", turn: metered(fromGhz(serial.address, "publish"), serial.process.pid!) },
      { key: "kafka_floor", name: "raw kafkajs, one record per send, a process of its own (Kafka's floor)", turn: kafka.turn },
      // The same calls from a Node client (this process): its own collections are in what it measures.
      { key: "grpcjs_health", name: "Health/Check, from a grpc-js client", turn: fromNode(() => healthCheck(client)) },
      { key: "grpcjs_kafka", name: "Publish, Kafka channel, from a grpc-js client", turn: fromNode(() => publishOne(client)) },
    ];
    const metricsBefore = await Promise.all(platforms.map((p) => metricsOf(p.metricsAddress)));
    const latencies = await inTurns(kinds.map((k) => k.turn));
    const metricsAfter = await Promise.all(platforms.map((p) => metricsOf(p.metricsAddress)));
    const rows: [string, string][] = [["Node (platforms and this client)", process.version]];
    const result: Record<string, number> = {};
    for (const [i, { key, name, turn }] of kinds.entries()) {
      const l = latencies[i]!;
      const cpu = "perCall" in turn ? turn.perCall() : undefined;
      rows.push([`${name}, 4 × 5 s at 1,000/s in turns`, show(l) + (cpu ? `; the platform's CPU per call ${showCpu(cpu)}` : "")]);
      result[`${key}_p50_ms`] = Number(l.p50.toFixed(2));
      result[`${key}_p99_ms`] = Number(l.p99.toFixed(2));
      if (cpu) result[`${key}_cpu_us`] = cpu.all;
    }
    // The platform's own measure of its channel's writes: no gRPC, no client, what lanes change.
    const shares = [
      { platform: onKafka, key: "kafka", name: "3 in flight" },
      { platform: serial, key: "kafka_serial", name: "one in flight" },
    ].map(({ platform, key, name }) => {
      const i = platforms.indexOf(platform);
      const [after, before] = [channelWrites(metricsAfter[i]!), channelWrites(metricsBefore[i]!)];
      const count = after.count - before.count;
      const over = (upTo: "upTo2_5ms" | "upTo5ms") => (100 - (100 * (after[upTo] - before[upTo])) / count).toFixed(2);
      result[`writes_over_2_5ms_pct_${key}`] = Number(over("upTo2_5ms"));
      result[`writes_over_5ms_pct_${key}`] = Number(over("upTo5ms"));
      return `${name}: ${over("upTo2_5ms")}% / ${over("upTo5ms")}% of ${count}`;
    });
    rows.push(["…writes to Kafka over 2.5 ms / over 5 ms, from the platform's metrics (its turns and warm-ups)", shares.join("; ")]);
    for (const [i, channel] of ["Kafka", "embedded"].entries()) {
      const [gcAfter, gcBefore] = [gcOf(metricsAfter[i]!), gcOf(metricsBefore[i]!)];
      const spent = [...gcAfter].map(([kind, after]) => {
        const before = gcBefore.get(kind) ?? noCollections;
        return { kind, count: after.count - before.count, ms: 1000 * (after.seconds - before.seconds), over10ms: after.over10ms - before.over10ms };
      });
      rows.push([`…the ${channel} platform's main thread, its turns and warm-ups: collections (their time, how many over 10 ms)`, spent.map((g) => `${g.kind} ${g.count} (${Math.round(g.ms)} ms, ${g.over10ms})`).join(", ")]);
      for (const g of spent) result[`gc_${g.kind}_ms_${channel.toLowerCase()}`] = Math.round(g.ms);
    }
    return { rows, result };
  } finally {
    grpcJs?.close();
    await kafka?.close();
    await Promise.all(platforms.map((p) => p.stop()));
    await broker.destroy();
  }
}

type Collections = { count: number; seconds: number; over10ms: number };
const noCollections: Collections = { count: 0, seconds: 0, over10ms: 0 };

/** A platform's metrics now, as Prometheus would scrape them. */
async function metricsOf(metricsAddress: string): Promise<string> {
  return (await fetch(`http://${metricsAddress}/metrics`)).text();
}

/** A platform's writes to its channel so far: how many, and how many took up to 2.5 ms and up to 5 ms (meshstream_channel_write_duration_seconds). */
function channelWrites(text: string): { count: number; upTo2_5ms: number; upTo5ms: number } {
  const value = (series: string) => Number(new RegExp(`^meshstream_channel_write_duration_seconds_${series} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return { count: value(`count\\{channel="kafka"\\}`), upTo2_5ms: value(`bucket\\{le="0.0025",channel="kafka"\\}`), upTo5ms: value(`bucket\\{le="0.005",channel="kafka"\\}`) };
}

/** A platform's main-thread collections so far, by kind, from prom-client's nodejs_gc_duration_seconds. */
function gcOf(text: string): Map<string, Collections> {
  const byKind = new Map<string, Collections>();
  const of = (kind: string) => byKind.get(kind) ?? byKind.set(kind, { ...noCollections }).get(kind)!;
  const upTo10ms = new Map<string, number>();
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count|bucket)\{(?:le="([^"]+)",)?kind="(\w+)"\} (\S+)$/gm)) {
    const [, field, le, kind, value] = m;
    if (field === "sum") of(kind!).seconds = Number(value);
    else if (field === "count") of(kind!).count = Number(value);
    else if (le === "0.01") upTo10ms.set(kind!, Number(value));
  }
  for (const [kind, g] of byKind) g.over10ms = g.count - (upTo10ms.get(kind) ?? 0);
  return byKind;
}

/**
 * PublishStream of events with ids of the client's own, with the idempotency window on (default: every
 * event's (source, id) remembered, 100,000 per product) and off, on both channels: two platforms each, streams in turns (the machine's load drifts), the
 * best of 3 each. Three streams per platform store more events than the window holds, so that trimming runs too.
 */
async function idempotencyCost(): Promise<{ rows: [string, string][]; result: Record<string, number> }> {
  const rows: [string, string][] = [];
  const result: Record<string, number> = {};
  const broker = await startKafka();
  try {
    for (const [name, env] of [
      ["embedded", {}],
      ["kafka", { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") }],
    ] as const) {
      const on = await startPlatform({ ...env, MESHSTREAM_KAFKA_TOPIC_PREFIX: "on." });
      const off = await startPlatform({ ...env, MESHSTREAM_KAFKA_TOPIC_PREFIX: "off.", MESHSTREAM_IDEMPOTENCY_WINDOW_EVENTS: "0" });
      try {
        await publishStream(on.address, undefined, true);
        await publishStream(off.address, undefined, true);
        const rates = { on: [] as number[], off: [] as number[] };
        for (let round = 0; round < 3; round++) {
          rates.on.push((await publishStream(on.address, undefined, true)).rate);
          rates.off.push((await publishStream(off.address, undefined, true)).rate);
        }
        const [best, base] = [Math.max(...rates.on), Math.max(...rates.off)];
        rows.push([`PublishStream, ${name}, idempotency window off (best of 3)`, `${Math.round(base)} events/s`]);
        rows.push([`PublishStream, ${name}, idempotency window on (best of 3)`, `${Math.round(best)} events/s (ratio ${(best / base).toFixed(2)})`]);
        result[`${name}_off_eps`] = Math.round(base);
        result[`${name}_on_eps`] = Math.round(best);
        result[`${name}_ratio`] = Number((best / base).toFixed(2));
      } finally {
        await Promise.all([on.stop(), off.stop()]);
      }
      progress(`${name} done`);
    }
  } finally {
    await broker.destroy();
  }
  return { rows, result };
}

/**
 * PublishStream on Kafka from platforms started with the start commands' V8
 * flags (PLATFORM_NODE_FLAGS: the 64 MiB semi-space) and without, a new
 * platform for each stream, in turns on one broker (the machine's load
 * drifts), three rounds: events/s and the platform's CPU per event, each
 * after a stream that warms the platform up.
 */
async function startFlagsGain(): Promise<{ rows: [string, string][]; result: Record<string, number> }> {
  const runs = { with: [] as { rate: number; cpu: number }[], without: [] as { rate: number; cpu: number }[] };
  const broker = await startKafka();
  try {
    for (let round = 0; round < 3; round++) {
      const order = round % 2 === 0 ? (["with", "without"] as const) : (["without", "with"] as const);
      for (const flags of order) {
        const env = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(","), MESHSTREAM_KAFKA_TOPIC_PREFIX: `${flags}${round}.` };
        const platform = await startPlatform(env, undefined, "node", flags === "with" ? PLATFORM_NODE_FLAGS : []);
        try {
          await publishStream(platform.address);
          const cpu = cpuMicrosPer([platform.process.pid!], total);
          const { rate } = await publishStream(platform.address);
          runs[flags].push({ rate, cpu: cpu()[0]! });
        } finally {
          await platform.stop();
        }
      }
      progress(`round ${round + 1} of 3 done`);
    }
  } finally {
    await broker.destroy();
  }
  const rows: [string, string][] = [["events per stream; Node", `${total.toLocaleString("en-US")}; ${process.version}`]];
  const result: Record<string, number> = {};
  for (const flags of ["with", "without"] as const) {
    const name = flags === "with" ? PLATFORM_NODE_FLAGS.join(" ") : "no V8 flags (V8's defaults)";
    rows.push([`PublishStream on Kafka, ${name}: events/s; platform CPU per event`, runs[flags].map((r) => `${Math.round(r.rate)}; ${Math.round(r.cpu)} µs`).join(" | ")]);
    result[`${flags}_flags_median_eps`] = Math.round(median(runs[flags].map((r) => r.rate)));
  }
  result.with_over_without = Number((result.with_flags_median_eps! / result.without_flags_median_eps!).toFixed(2));
  rows.push(["medians, with → without; ratio", `${result.with_flags_median_eps} → ${result.without_flags_median_eps}; ${result.with_over_without}`]);
  return { rows, result };
}

/**
 * What the idempotency window adds per event, alone: the appender in front of an append that costs nothing,
 * with the window on (default bounds) minus off, CPU time per event. Immune to the machine's load, unlike
 * the streams above. Ids are made before timing (in the platform they arrive decoded from the request).
 */
export async function windowCpu(): Promise<number> {
  const events: OutgoingEvent[] = Array.from({ length: 300_000 }, () => ({ product: "people", event: { ...personEvent(), id: Buffer.from(randomUUID()).toString("latin1") } }));
  const emptyLog = { partitions: async () => [] } as unknown as PartitionedLog;
  const free = async (batch: readonly OutgoingEvent[]) => batch.map(() => "position");
  const run = async (window: { events?: number }) => {
    const appender = new IdempotentAppender(emptyLog, free, window, new AbortController().signal);
    await appender.publish(events.slice(0, 1)); // the (empty) window is loaded
    const started = process.cpuUsage();
    for (let i = 1; i < events.length; i += 1000) await appender.publish(events.slice(i, i + 1000));
    const used = process.cpuUsage(started);
    return (used.user + used.system) / events.length;
  };
  const best = async (window: { events?: number }) => Math.min(await run(window), await run(window), await run(window));
  return Math.max(0, (await best({})) - (await best({ events: 0 })));
}
