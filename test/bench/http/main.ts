import { writeSync } from "node:fs";
import { Agent, request } from "node:http";
import { startKafka } from "../../harness/kafka";
import { startPlatform } from "../../harness/platform";
import { publishStream, unaryAt } from "../ingest/main";
import { concurrentRate, paced, report, summarize } from "../stats";

// npm run bench -- http [events, default 20,000] [requests/s, default 1,000]: the HTTP face next to gRPC on one platform
// (Kafka channel, as in the ingest bench: the embedded log syncs each publish to disk, which
// caps both transports near 1,000 events/s on this machine), in the same run: events/s of CloudEvents batch publishing (POST /events,
// application/cloudevents-batch+json) against a gRPC PublishStream, and the latency of single-event
// POST /events/{type} at 1,000 requests/s against unary gRPC Publish at the same rate.
// Targets: batch ≥ 0.8 × PublishStream; single-event p99 ≤ 2 × unary gRPC p99.
const total = Number(process.argv[3] ?? 20_000);
const rate = Number(process.argv[4] ?? 1000);
const batchSize = 500;
const type = "MySource:newPerson";
const data = JSON.stringify({ first: "John", Last: "Doe", Age: 40 });
const progress = (what: string) => writeSync(2, `${what}\n`);

/** One HTTP/1.1 request on a keep-alive connection; resolves with the status once the whole answer is in. */
function post(agent: Agent, url: URL, contentType: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": contentType, "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function httpBatches(httpUrl: string, events: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const url = new URL(`${httpUrl}/events`);
  const body = JSON.stringify(Array.from({ length: batchSize }, () => ({ specversion: "1.0", type, source: "/bench", data: JSON.parse(data) as unknown })));
  const rate = await concurrentRate(events, batchSize, 2, async () => {
    const status = await post(agent, url, "application/cloudevents-batch+json", body);
    if (status !== 202) throw new Error(`batch answered ${status}`);
  });
  agent.destroy();
  return rate;
}

async function httpSingles(httpUrl: string, perSecond: number, seconds: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(`${httpUrl}/events/${type}`);
  const latencies: number[] = [];
  const calls = await paced(perSecond, perSecond * seconds, async () => {
    const t = performance.now();
    const status = await post(agent, url, "application/json", data);
    if (status !== 202) throw new Error(`POST answered ${status}`);
    latencies.push(performance.now() - t);
  });
  await Promise.all(calls);
  agent.destroy();
  return latencies;
}

const show = (l: ReturnType<typeof summarize>) => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(1)} ms`;

export async function main(): Promise<void> {
  const broker = await startKafka();
  const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
  try {
    // Warm-ups, then the measured runs, alternating transports so that load from elsewhere hits both.
    await publishStream(platform.address);
    await httpBatches(platform.httpUrl, total / 4);
    const stream = (await publishStream(platform.address)).rate;
    const batch = await httpBatches(platform.httpUrl, total);
    progress("throughput done");
    await unaryAt(platform.address, rate, 1);
    await httpSingles(platform.httpUrl, rate, 1);
    const unary = summarize(await unaryAt(platform.address, rate, 10));
    const single = summarize(await httpSingles(platform.httpUrl, rate, 10));
    progress("latency done");
    const batchRatio = batch / stream;
    const p99Ratio = single.p99 / unary.p99;
    report([
      ["events per throughput run", total.toLocaleString("en-US")],
      ["gRPC PublishStream", `${Math.round(stream)} events/s`],
      [`HTTP POST /events, batches of ${batchSize}, 2 in flight`, `${Math.round(batch)} events/s (ratio ${batchRatio.toFixed(2)}, target ≥ 0.8)`],
      [`gRPC unary Publish at ${rate.toLocaleString("en-US")} req/s for 10 s`, show(unary)],
      [`HTTP POST /events/{type} at ${rate.toLocaleString("en-US")} req/s for 10 s`, `${show(single)} (p99 ratio ${p99Ratio.toFixed(2)}, target ≤ 2)`],
    ]);
    writeSync(
      1,
      `RESULT rate=${rate} grpc_stream_eps=${Math.round(stream)} http_batch_eps=${Math.round(batch)} batch_ratio=${batchRatio.toFixed(2)} grpc_unary_p99_ms=${unary.p99.toFixed(2)} http_single_p99_ms=${single.p99.toFixed(2)} p99_ratio=${p99Ratio.toFixed(2)} targets_met=${batchRatio >= 0.8 && p99Ratio <= 2 ? "yes" : "no"}\n`,
    );
  } finally {
    await platform.stop();
    await broker.destroy();
  }
}
