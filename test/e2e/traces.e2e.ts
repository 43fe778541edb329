import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { IngestService, SubscribeService, type SubscribeResponse } from "@meshstream/proto";
import { SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { startPlatform, type RunningPlatform } from "../harness/platform";
import { openEventStream } from "../harness/sse-client";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const event = (extensions: Record<string, string> = {}) => ({ type, extensions, payload: { case: "dataJson" as const, value: Buffer.from('{"first":"Ann","Last":"Lee"}') } });
/** A producer's trace context, as an OpenTelemetry-instrumented client sends it. */
function producerContext() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01`, tracestate: "vendor=opaque" };
}
const withTrace = (traceparent: string, tracestate?: string) => {
  const metadata = new grpc.Metadata();
  metadata.set("traceparent", traceparent);
  if (tracestate) metadata.set("tracestate", tracestate);
  return metadata;
};
const attribute = (r: SubscribeResponse, name: string) => r.delivery?.event?.attributes[name]?.attr.value;
/** The seed's event published over REST with a producer's `traceparent` header: the response's status. */
const postWithTrace = async (httpUrl: string, traceparent: string) =>
  (
    await fetch(`${httpUrl}/events/${encodeURIComponent(type)}`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent },
      body: '{"first":"Bo","Last":"Lee"}',
    })
  ).status;

describe("server spans, seen by an in-memory exporter", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let platform: InProcessPlatform;
  let client: TestClient;

  beforeAll(async () => {
    provider.register();
    platform = await startInProcessPlatform();
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.close();
    await provider.shutdown();
    trace.disable();
  });

  it("makes a SERVER span per call, a child of the producer's span, with validate and store inside it", async () => {
    const producer = producerContext();
    await client.unary(IngestService.method.publish, { event: event() }, withTrace(producer.traceparent));
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === producer.traceId);
    const server = spans.find((s) => s.name === "meshstream.v1.IngestService/Publish")!;
    expect(server).toBeDefined();
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.parentSpanContext?.spanId).toBe(producer.spanId);
    expect(server.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.service": "meshstream.v1.IngestService", "rpc.method": "Publish", "rpc.grpc.status_code": 0 });
    for (const name of ["validate", "store"]) {
      const child = spans.find((s) => s.name === name);
      expect(child?.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    }
  });

  it("makes a SERVER span per HTTP request too, named by its route, a child of the caller's span, with store inside it", async () => {
    const producer = producerContext();
    expect(await postWithTrace(platform.httpUrl, producer.traceparent)).toBe(202);
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === producer.traceId);
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.name).toBe("POST /events/:type");
    expect(server.parentSpanContext?.spanId).toBe(producer.spanId);
    expect(server.attributes).toMatchObject({ "http.request.method": "POST", "http.route": "/events/:type", "http.response.status_code": 202 });
    expect(spans.find((s) => s.name === "store")?.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    // A route a plugin adds (Connect) runs in its span as well.
    const viaConnect = producerContext();
    const connect = await fetch(`${platform.httpUrl}/meshstream.v1.IngestService/Publish`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: viaConnect.traceparent },
      body: JSON.stringify({ event: { type, data: { first: "Cy", Last: "Lee" } } }),
    });
    expect(connect.status).toBe(200);
    const connectSpans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === viaConnect.traceId);
    const connectServer = connectSpans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(connectServer.name).toBe("POST /meshstream.v1.IngestService/Publish");
    expect(connectSpans.find((s) => s.name === "store")?.parentSpanContext?.spanId).toBe(connectServer.spanContext().spanId);
    // A path no route knows: a span all the same, named by the method alone (a path is no bounded name).
    exporter.reset();
    expect((await fetch(`${platform.httpUrl}/no/such/route`)).status).toBe(404);
    const unmatched = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(unmatched.name).toBe("GET");
    expect(unmatched.attributes["http.response.status_code"]).toBe(404);
  });

  it("starts a trace of its own for a call that brings none", async () => {
    exporter.reset();
    await client.unary(IngestService.method.publish, { event: event() });
    const server = exporter.getFinishedSpans().find((s) => s.name === "meshstream.v1.IngestService/Publish")!;
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("the trace context from producer to subscriber (CloudEvents distributed tracing), on Kafka", () => {
  let platform: RunningPlatform;
  let client: TestClient;

  beforeAll(async () => {
    platform = await startPlatform({
      MESHSTREAM_LOG_LEVEL: "debug",
      MESHSTREAM_CHANNEL: "kafka",
      MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"),
      MESHSTREAM_KAFKA_TOPIC_PREFIX: `traces-${randomUUID().slice(0, 8)}.`,
    });
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.stop();
  });

  /** null once accepted, else the call's error. */
  const publish = (input: ReturnType<typeof event>, metadata = new grpc.Metadata()) =>
    client.unary(IngestService.method.publish, { event: input }, metadata).then(
      () => null,
      (err: grpc.ServiceError) => err,
    );

  it("delivers each event with the traceparent its producer sent, as metadata or as the event's own extension", async () => {
    // The first publish makes the product's topic; a subscription to a topic that is still being made can fail on a loaded broker.
    expect(await publish(event())).toBeNull();
    const subscription = readStream(client.serverStream(SubscribeService.method.subscribe, { filter: { types: [type] } }));
    await subscription.ready;
    const viaMetadata = producerContext();
    const viaExtension = producerContext();
    expect(await publish(event(), withTrace(viaMetadata.traceparent, viaMetadata.tracestate))).toBeNull();
    expect(await publish(event({ traceparent: viaExtension.traceparent }))).toBeNull();
    expect(await publish(event())).toBeNull();
    const [first, second, third] = await subscription.first(3, 30_000);
    subscription.cancel();
    expect(attribute(first!, "traceparent")).toBe(viaMetadata.traceparent);
    expect(attribute(first!, "tracestate")).toBe(viaMetadata.tracestate);
    expect(attribute(second!, "traceparent")).toBe(viaExtension.traceparent);
    // No trace context came in: the platform invents none.
    expect(attribute(third!, "traceparent")).toBeUndefined();

    // The call's log line carries the producer's trace id.
    const lines = platform.logs.filter((l) => l.includes('"method":"/meshstream.v1.IngestService/Publish"')).map((l) => JSON.parse(l) as { traceId?: string; requestId?: string });
    expect(lines.some((l) => l.traceId === viaMetadata.traceId && l.requestId)).toBe(true);
  });

  it("carries it over HTTP too: a traceparent header on a POST reaches an SSE subscriber, as a gRPC producer's does", async () => {
    const sse = openEventStream(`${platform.httpUrl}/events?type=${encodeURIComponent(type)}`);
    expect((await sse.response).statusCode).toBe(200);
    const overHttp = producerContext();
    const overGrpc = producerContext();
    expect(await postWithTrace(platform.httpUrl, overHttp.traceparent)).toBe(202);
    expect(await publish(event(), withTrace(overGrpc.traceparent))).toBeNull();
    const delivered = (await sse.first(2, 30_000)).map((m) => JSON.parse(m.data) as { traceparent?: string });
    sse.close();
    expect(delivered.map((e) => e.traceparent)).toEqual([overHttp.traceparent, overGrpc.traceparent]);
  });

  it("refuses an event whose own traceparent is malformed, and ignores malformed metadata", async () => {
    const bad = await publish(event({ traceparent: "00-xyz-01" }));
    expect(bad?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad?.details).toContain("extension traceparent is not a W3C traceparent");
    expect(await publish(event(), withTrace("garbage"))).toBeNull();
  });
});

describe("OTLP export (OTEL_TRACES_EXPORTER=otlp), from the platform process", () => {
  it("posts its spans as OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT, under OTEL_SERVICE_NAME", async () => {
    // A receiver standing in for an OpenTelemetry collector's HTTP port: it keeps what it is sent.
    const received: { path?: string; type?: string; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ path: req.url, type: req.headers["content-type"], body: Buffer.concat(chunks) });
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const platform = await startPlatform({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_SERVICE_NAME: "meshstream-under-test",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    const client = new TestClient(platform.address);
    try {
      const producer = producerContext();
      await client.unary(IngestService.method.publish, { event: event() }, withTrace(producer.traceparent));
      // The spans of one call may come in more than one batch (the server span ends after its children).
      const names = ["meshstream.v1.IngestService/Publish", "validate", "store"];
      const sent = () => received.filter((r) => r.body.includes(Buffer.from(producer.traceId, "hex")));
      const all = () => Buffer.concat(sent().map((r) => r.body));
      for (const deadline = Date.now() + 10_000; !names.every((n) => all().includes(Buffer.from(n))) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
      for (const r of sent()) expect(r).toMatchObject({ path: "/v1/traces", type: "application/x-protobuf" });
      for (const text of [...names, "meshstream-under-test"]) expect(all().includes(Buffer.from(text))).toBe(true);
    } finally {
      client.close();
      expect(await platform.stop()).toBe(0);
      await new Promise((r) => collector.close(r));
    }
  });
});
