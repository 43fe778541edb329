import { join } from "node:path";
import { IngestService, SubscribeService, SubscriptionService } from "@meshstream/proto";
import { DurableConsumer } from "../harness/durable-consumer";
import { TestClient } from "../harness/grpc-client";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { runOk } from "../harness/run";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

interface Sample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

const type = "MySource:newPerson";
const person = (age: number) => ({ type, payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann", Last: "Lee", Age: age })) } });

/** Scrapes /metrics and parses it with the Prometheus project's Python client (a text it refuses fails the test). */
async function scrape(platform: RunningPlatform): Promise<Sample[]> {
  const response = await fetch(`http://${platform.metricsAddress}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const { stdout } = await runOk(toolPath("PYTHON"), [join(repoRoot, "test/harness/python/prometheus_text.py")], { input: await response.text(), timeoutMs: 30_000 });
  return JSON.parse(stdout) as Sample[];
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

describe("Prometheus metrics after known traffic", () => {
  let platform: RunningPlatform;
  let client: TestClient;
  let samples: Sample[];

  beforeAll(async () => {
    platform = await startPlatform();
    client = new TestClient(platform.address);
    const publish = (event: object) => client.unary(IngestService.method.publish, { event }).then(() => "ok", (err: { code: number }) => err.code);
    // 3 accepted, 2 invalid data, 1 unknown type, 1 request without data.
    const codes = await Promise.all([person(40), person(41), person(42), person(140), person(131), { type: "Nope", payload: { case: "dataJson", value: Buffer.from("{}") } }, { type }].map(publish));
    expect(codes).toEqual(["ok", "ok", "ok", 3, 3, 5, 3]);
    // One batch: 2 accepted, 1 invalid data.
    const batch = await client.unary(IngestService.method.publishBatch, { events: [person(10), person(11), person(200)] });
    expect(batch.results.map((r) => r.result.case)).toEqual(["receipt", "receipt", "error"]);
    // The 5 accepted events, fetched once.
    const page = await client.unary(SubscribeService.method.fetch, { filter: { types: [type] }, cursor: "", maxEvents: 100 });
    expect(page.deliveries).toHaveLength(5);
    // One stream open while scraped.
    const subscription = readStream(client.serverStream(SubscribeService.method.subscribe, { filter: { types: [type] } }));
    await subscription.ready;
    samples = await scrape(platform);
    subscription.cancel();
  });

  afterAll(async () => {
    client?.close();
    await platform?.stop();
  });

  it("counts events by product, type and outcome, unknown types under one label value", () => {
    const ingest = samples.filter((s) => s.name === "meshstream_ingest_events_total");
    expect(ingest.map((s) => [s.labels.product, s.labels.type, s.labels.outcome, s.value]).sort()).toEqual(
      [
        ["people", type, "accepted", 5],
        ["people", type, "invalid_data", 3],
        ["people", type, "invalid_request", 1],
        ["unknown", "unknown", "unknown_type", 1],
      ].sort(),
    );
  });

  it("counts validations by path, times the engine's and channel writes", () => {
    // 8 validations: the 3 invalid events always by the engine; the 5 valid ones by the fast path
    // once its validator is compiled (at the type's first event), by the engine before that.
    const fast = value(samples, "meshstream_validations_total", { path: "fast" });
    const engine = value(samples, "meshstream_validations_total", { path: "engine" });
    expect(value(samples, "meshstream_validation_duration_seconds_count", { path: "engine" })).toBe(engine);
    expect(fast + engine).toBe(8);
    expect(engine).toBeGreaterThanOrEqual(3);
    expect(value(samples, "meshstream_validation_duration_seconds_bucket", { path: "engine", le: "+Inf" })).toBe(engine);
    expect(value(samples, "meshstream_channel_write_duration_seconds_count", { channel: "embedded" })).toBe(4);
  });

  it("measures delivery lag per product and mode", () => {
    expect(value(samples, "meshstream_delivery_lag_seconds_count", { product: "people", mode: "fetch" })).toBe(5);
  });

  it("counts gRPC calls by method and code, with a latency histogram", () => {
    const publish = "/meshstream.v1.IngestService/Publish";
    expect(value(samples, "meshstream_grpc_server_handled_total", { method: publish, code: "OK" })).toBe(3);
    expect(value(samples, "meshstream_grpc_server_handled_total", { method: publish, code: "INVALID_ARGUMENT" })).toBe(3);
    expect(value(samples, "meshstream_grpc_server_handled_total", { method: publish, code: "NOT_FOUND" })).toBe(1);
    expect(value(samples, "meshstream_grpc_server_handled_total", { method: "/meshstream.v1.IngestService/PublishBatch", code: "OK" })).toBe(1);
    expect(value(samples, "meshstream_grpc_server_handling_seconds_count", { method: publish })).toBe(7);
  });

  it("reports open streams and subscriptions, the catalog's size and the process's own metrics", () => {
    expect(value(samples, "meshstream_grpc_open_streams")).toBe(1);
    expect(value(samples, "meshstream_open_subscriptions")).toBe(1);
    expect(value(samples, "meshstream_catalog_entries", { kind: "data_product" })).toBe(1);
    expect(value(samples, "meshstream_catalog_entries", { kind: "event_type" })).toBe(1);
    expect(value(samples, "meshstream_catalog_entries", { kind: "schema_version" })).toBe(1);
    expect(value(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(samples.some((s) => s.name.startsWith("nodejs_eventloop_lag"))).toBe(true);
  });

  it("counts a durable subscription's deliveries, acknowledgements, returns and dead letters, and what its consumers hold", async () => {
    await client.unary(SubscriptionService.method.createSubscription, {
      subscription: { name: "metered", filter: { types: [type] }, start: { start: { case: "earliest", value: true } }, maxDeliveries: 1 },
    });
    // The 5 stored events: the one of Age 42 nacked (with one delivery allowed, it goes to the dead letters), the rest acknowledged.
    const consumer = new DurableConsumer(client, "metered", 10, (r) => (JSON.parse(Buffer.from(r.delivery!.event!.data.value as Uint8Array).toString()).Age === 42 ? "nack" : "ack"));
    const deadline = Date.now() + 20_000;
    let now = await scrape(platform);
    while (value(now, "meshstream_subscription_acknowledged_total", { subscription: "metered" }) < 4 || value(now, "meshstream_subscription_dead_lettered_total") < 1) {
      if (Date.now() > deadline) throw new Error("the subscription's metrics did not reach 4 acknowledged and 1 dead letter");
      await new Promise((r) => setTimeout(r, 100));
      now = await scrape(platform);
    }
    const metered = (name: string, labels: Record<string, string> = {}) => value(now, name, { subscription: "metered", ...labels });
    expect(metered("meshstream_subscription_deliveries_total", { delivery: "first" })).toBe(5);
    expect(metered("meshstream_subscription_deliveries_total", { delivery: "redelivery" })).toBe(0);
    expect(metered("meshstream_subscription_acknowledged_total")).toBe(4);
    expect(metered("meshstream_subscription_returned_total", { reason: "nacked" })).toBe(1);
    expect(metered("meshstream_subscription_returned_total", { reason: "expired" })).toBe(0);
    expect(metered("meshstream_subscription_dead_lettered_total")).toBe(1);
    expect(metered("meshstream_subscription_consumers")).toBe(1);
    expect(metered("meshstream_subscription_outstanding")).toBe(0);
    consumer.kill();
  });

  it("counts HTTP requests by method, route pattern and status, and times them", async () => {
    const statuses = await Promise.all(
      [
        fetch(`${platform.httpUrl}/catalog/types/${encodeURIComponent(type)}`),
        fetch(`${platform.httpUrl}/catalog/types/Nope`),
        fetch(`${platform.httpUrl}/no/such/route`),
        fetch(`${platform.httpUrl}/meshstream.v1.CatalogService/ListDataProducts`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
      ].map(async (r) => (await r).status),
    );
    expect(statuses).toEqual([200, 404, 404, 200]);
    const now = await scrape(platform);
    const requests = (labels: Record<string, string>) => value(now, "meshstream_http_server_requests_total", labels);
    expect(requests({ method: "GET", route: "/catalog/types/:type", status: "200" })).toBe(1);
    expect(requests({ method: "GET", route: "/catalog/types/:type", status: "404" })).toBe(1);
    // A path no route knows is counted, but never as a label value of its own.
    expect(requests({ method: "GET", route: "unmatched", status: "404" })).toBe(1);
    expect(now.some((s) => s.labels.route === "/no/such/route")).toBe(false);
    expect(requests({ method: "POST", route: "/meshstream.v1.CatalogService/ListDataProducts", status: "200" })).toBe(1);
    expect(value(now, "meshstream_http_server_request_duration_seconds_count", { route: "/catalog/types/:type" })).toBe(2);
  });

  it("serves /metrics only, to GET", async () => {
    expect((await fetch(`http://${platform.metricsAddress}/`)).status).toBe(404);
    expect((await fetch(`http://${platform.metricsAddress}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("names its listeners in the start banner", () => {
    const banner = platform.logs.map((l) => JSON.parse(l) as { message: { msg?: string; listeners?: Record<string, string> } }).find((l) => l.message.msg === "started");
    expect(banner?.message.listeners).toEqual({ grpc: platform.address, http: platform.httpUrl, metrics: `http://${platform.metricsAddress}/metrics` });
  });
});

describe("metrics off", () => {
  it("opens no listener with MESHSTREAM_METRICS_LISTEN=off, and still serves", async () => {
    const platform = await startPlatform({ MESHSTREAM_METRICS_LISTEN: "off" });
    const client = new TestClient(platform.address);
    try {
      expect(platform.metricsAddress).toBe("");
      await client.unary(IngestService.method.publish, { event: person(30) });
      expect(platform.logs.some((l) => l.includes('"metrics listening"'))).toBe(false);
    } finally {
      client.close();
      expect(await platform.stop()).toBe(0);
    }
  });
});
