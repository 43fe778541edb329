import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { ErrorInfoSchema, Health, HealthCheckResponse_ServingStatus as Serving, IngestService, StatusSchema, SubscribeService, type Delivery } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startKafka, type KafkaBroker } from "../harness/kafka";
import { storedIds } from "../harness/kafka-log";
import { startPlatform, type RunningPlatform } from "../harness/platform";
import { readStream } from "../harness/stream-reader";

const type = "MySource:newPerson";
const filter = { types: [type] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The position a stream or call that ended with UNAVAILABLE or DATA_LOSS says to resume from (google.rpc.ErrorInfo). */
function resumePosition(err: ServiceError): string | undefined {
  const [bin] = err.metadata?.get("grpc-status-details-bin") ?? [];
  if (!bin) return undefined;
  for (const detail of fromBinary(StatusSchema, bin as Buffer).details) {
    const info = anyUnpack(detail, ErrorInfoSchema);
    if (info?.metadata.position) return info.metadata.position;
  }
  return undefined;
}

describe("reading through a broker outage (Kafka, SIGKILL)", () => {
  let broker: KafkaBroker;
  let platform: RunningPlatform;
  let client: TestClient;
  beforeAll(async () => {
    broker = await startKafka();
    platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
    client = new TestClient(platform.address);
  }, 180_000);
  afterAll(async () => {
    client?.close();
    await platform?.stop();
    await broker?.destroy();
  });

  it("a live subscriber and a Fetch pager get every acknowledged event exactly once, in order; health and codes tell the outage", async () => {
    // Health, watched all along.
    const health = readStream(client.serverStream(Health.method.watch, { service: "" }));
    const healthSeen = () => health.items.map((h) => h.status);

    // The live subscriber resumes, as a client does, from the position of its last delivery or the one its error carries.
    const live: Delivery[] = [];
    const liveErrors: number[] = [];
    let reading = true;
    let liveReady!: () => void;
    const livePositioned = new Promise<void>((r) => (liveReady = r));
    const subscriber = (async () => {
      let start: { start: { case: "latest"; value: true } | { case: "after"; value: string } } = { start: { case: "latest", value: true } };
      while (reading) {
        const stream = readStream(client.serverStream(SubscribeService.method.subscribe, { filter, start }));
        stream.ready.then(liveReady, () => undefined);
        let taken = 0;
        let err: ServiceError | undefined;
        while (reading && !err) {
          while (taken < stream.items.length) live.push(stream.items[taken++]!.delivery!);
          err = await stream.failure(100).catch(() => undefined);
        }
        while (taken < stream.items.length) live.push(stream.items[taken++]!.delivery!);
        stream.cancel();
        if (!err) break;
        liveErrors.push(err.code);
        const position = resumePosition(err) ?? live.at(-1)?.position;
        if (position) start = { start: { case: "after", value: position } };
        await sleep(200);
      }
    })();
    await livePositioned;

    // The pager: the same cursor again after an error.
    const paged: Delivery[] = [];
    const pageErrors: number[] = [];
    let cursor = "";
    const pager = (async () => {
      while (reading) {
        try {
          const page = await client.unary(SubscribeService.method.fetch, { filter, cursor, maxEvents: 100, wait: { seconds: 0n, nanos: 200_000_000 } });
          paged.push(...page.deliveries);
          cursor = page.nextCursor;
        } catch (err) {
          pageErrors.push((err as ServiceError).code);
          await sleep(200);
        }
      }
    })();

    // The producer: one Publish at a time; an answered receipt is an acknowledged event.
    const acknowledged: string[] = [];
    const refusals: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        const id = `outage-${i}`;
        try {
          await client.unary(IngestService.method.publish, { event: { type, id, subject: "outage", payload: { case: "dataJson", value: Buffer.from(`{"first":"Ann","Last":"Lee","Age":${i % 100}}`) } } });
          acknowledged.push(id);
        } catch (err) {
          refusals.push(`${Code[(err as ServiceError).code]}: ${(err as ServiceError).details}`);
        }
        await sleep(5);
      }
    })();

    await sleep(1500);
    await broker.kill();
    // Readiness follows the broker, and reads that need it answer UNAVAILABLE (not INTERNAL).
    const deadline = (ms: number) => Date.now() + ms;
    for (const until = deadline(20_000); !healthSeen().includes(Serving.NOT_SERVING) && Date.now() < until; ) await sleep(50);
    expect(healthSeen().at(-1)).toBe(Serving.NOT_SERVING);
    const fetchDown = await client.unary(SubscribeService.method.fetch, { filter, cursor: "" }).catch((e: ServiceError) => e);
    expect(fetchDown).toMatchObject({ code: Code.UNAVAILABLE, details: expect.stringContaining("Kafka") });
    const subscribeDown = await readStream(client.serverStream(SubscribeService.method.subscribe, { filter, start: { start: { case: "earliest", value: true } } })).failure(30_000);
    expect(subscribeDown).toMatchObject({ code: Code.UNAVAILABLE, details: expect.stringContaining("Kafka") });
    await broker.restart();
    for (const until = deadline(20_000); healthSeen().at(-1) !== Serving.SERVING && Date.now() < until; ) await sleep(50);
    expect(healthSeen().at(-1)).toBe(Serving.SERVING);
    await sleep(2000);
    producing = false;
    await producer;

    // Both readers catch up with everything acknowledged.
    const has = (got: Delivery[], id: string) => got.some((d) => d.event!.id === id);
    for (const until = deadline(60_000); acknowledged.some((id) => !has(live, id) || !has(paged, id)) && Date.now() < until; ) await sleep(100);
    reading = false;
    await Promise.all([subscriber, pager]);
    health.cancel();

    const truth = (await storedIds(broker.brokers, "meshstream.people")).get(0)!;
    const ids = (got: Delivery[]) => got.map((d) => d.event!.id);
    process.stderr.write(
      `outage over gRPC: ${acknowledged.length} acknowledged, ${refusals.length} refused, ${truth.length} stored; ` +
        `live ${live.length} (errors ${liveErrors}), pager ${paged.length} (errors ${pageErrors}); health ${healthSeen().map((s) => Serving[s]).join(" → ")}\n`,
    );
    expect(refusals.length).toBeGreaterThan(0);
    // Refused with UNAVAILABLE, whatever kafkajs said.
    expect(refusals.filter((r) => !r.startsWith("UNAVAILABLE: "))).toEqual([]);
    expect(acknowledged.filter((id) => !truth.includes(id))).toEqual([]);
    // Exactly the log (one partition here), in its order: no gap, no duplicate.
    expect(ids(live)).toEqual(truth);
    expect(ids(paged)).toEqual(truth);
    expect([healthSeen()[0], healthSeen().includes(Serving.NOT_SERVING), healthSeen().at(-1)]).toEqual([Serving.SERVING, true, Serving.SERVING]);
    // Resuming after any delivered position gives the rest, with no gap.
    for (const k of [0, Math.floor(live.length / 2), live.length - 2]) {
      const rest: string[] = [];
      let after = live[k]!.position;
      while (rest.length < live.length - k - 1) {
        const page = await client.unary(SubscribeService.method.fetch, { filter, cursor: after, maxEvents: 1000 });
        if (page.deliveries.length === 0) break;
        rest.push(...ids(page.deliveries));
        after = page.nextCursor;
      }
      expect(rest).toEqual(truth.slice(k + 1));
    }
  }, 240_000);
});
