import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  descriptorSetPath,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
  IngestService,
  PublishRequestSchema,
  PublishResponseSchema,
  PublishStreamRequestSchema,
  PublishStreamResponseSchema,
  type PublishStreamRequest,
} from "@meshstream/proto";
import { GrpcServer, LIVENESS, READINESS } from "./grpc-server";
import type { ServiceImpl } from "./service-impl";
import { CallError } from "./status";

const publishPath = "/meshstream.v1.IngestService/Publish";
const streamPath = "/meshstream.v1.IngestService/PublishStream";
const batchPath = "/meshstream.v1.IngestService/PublishBatch";

function unary(client: grpc.Client, path: string, bytes: Buffer): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, (err, res) => resolve({ err, res })),
  );
}

/** A server with IngestService implemented by `impl`, listening on a free port, and a client for it. */
async function serve(impl: ServiceImpl<typeof IngestService>, options: { maxMessageBytes?: number; shutdownGraceMs?: number; serving?: boolean } = {}) {
  const server = new GrpcServer({
    host: "127.0.0.1",
    port: 0,
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
    shutdownGraceMs: options.shutdownGraceMs ?? 5000,
    descriptorSetPath,
  });
  server.register(IngestService, impl);
  await server.listen();
  if (options.serving ?? true) server.markServing();
  return { server, client: new grpc.Client(server.address, grpc.credentials.createInsecure()) };
}

const publishBytes = (id: string) => Buffer.from(toBinary(PublishRequestSchema, create(PublishRequestSchema, { event: { id, type: "t" } })));

describe("GrpcServer over a real socket", () => {
  let server: GrpcServer;
  let client: grpc.Client;

  beforeAll(async () => {
    ({ server, client } = await serve(
      {
      async publish(req) {
        if (req.event?.id === "bad") throw new CallError("invalid_argument", "bad id", [{ field: "id", description: "not allowed" }]);
        if (req.event?.id === "crash") throw new Error("secret internals");
        return { receipt: { id: req.event?.id ?? "", position: "p1" } };
      },
      async *publishStream(requests: AsyncIterable<PublishStreamRequest>) {
        let sequence = 0n;
        for await (const r of requests) yield { sequence: sequence++, result: { result: { case: "receipt", value: { id: r.event?.id ?? "" } } } };
      },
    }, { maxMessageBytes: 64 * 1024, shutdownGraceMs: 2000 }));
  });

  afterAll(async () => {
    client.close();
    await server.shutdown();
  });

  it("decodes and encodes with protobuf-es", async () => {
    const { err, res } = await unary(client, publishPath, publishBytes("e-1"));
    expect(err).toBeNull();
    expect(fromBinary(PublishResponseSchema, res!).receipt).toMatchObject({ id: "e-1", position: "p1" });
  });

  it("answers UNIMPLEMENTED, naming the method, for what is not built", async () => {
    const { err } = await unary(client, batchPath, Buffer.alloc(0));
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err?.details).toBe("meshstream.v1.IngestService/PublishBatch is not implemented yet");
  });

  it("maps domain errors and hides unexpected ones", async () => {
    const bad = await unary(client, publishPath, publishBytes("bad"));
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.err?.metadata.get("grpc-status-details-bin")).toHaveLength(1);
    const crash = await unary(client, publishPath, publishBytes("crash"));
    expect(crash.err?.code).toBe(grpc.status.INTERNAL);
    expect(crash.err?.details).not.toContain("secret");
  });

  it("answers a malformed payload with INVALID_ARGUMENT and keeps serving", async () => {
    // Field 1, wire type 2 (length-delimited) claiming 100 bytes that never come.
    const { err } = await unary(client, publishPath, Buffer.from([0x0a, 0x64, 0x01]));
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^malformed meshstream\.v1\.PublishRequest: /);
    expect((await unary(client, publishPath, publishBytes("after"))).err).toBeNull();
  });

  it("refuses a request over the size limit with RESOURCE_EXHAUSTED and keeps serving", async () => {
    const big = Buffer.from(toBinary(PublishRequestSchema, create(PublishRequestSchema, { event: { id: "x".repeat(70 * 1024) } })));
    const { err } = await unary(client, publishPath, big);
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await unary(client, publishPath, publishBytes("after"))).err).toBeNull();
  });

  it("streams bidi responses in order", async () => {
    const call = client.makeBidiStreamRequest(
      streamPath,
      (m: PublishStreamRequest) => Buffer.from(toBinary(PublishStreamRequestSchema, m)),
      (b: Buffer) => fromBinary(PublishStreamResponseSchema, b),
    );
    const ids = Array.from({ length: 50 }, (_, i) => `s-${i}`);
    for (const id of ids) call.write(create(PublishStreamRequestSchema, { event: { id } }));
    call.end();
    const got: string[] = [];
    for await (const r of call) got.push((r as { result: { result: { value: { id: string } } } }).result.result.value.id);
    expect(got).toEqual(ids);
  });
});

describe("GrpcServer shutdown", () => {
  it("ends open streams with UNAVAILABLE, lets unary calls finish, then stops", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { server, client } = await serve({
      async publish() {
        await held;
        return { receipt: { id: "late" } };
      },
      async *publishStream(_requests, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const stream = client.makeBidiStreamRequest(streamPath, (b: Buffer) => b, (b: Buffer) => b);
    const streamStatus = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
    stream.on("error", () => undefined);
    const inFlight = unary(client, publishPath, publishBytes("x"));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.openStreams).toBe(1);

    const stopped = server.shutdown();
    expect((await streamStatus).code).toBe(grpc.status.UNAVAILABLE);
    release();
    const { err, res } = await inFlight;
    expect(err).toBeNull();
    expect(fromBinary(PublishResponseSchema, res!).receipt?.id).toBe("late");
    await stopped;
    client.close();
  });
});

describe("GrpcServer cancellation of a unary call", () => {
  // The signal is made when the handler first asks for it: it must say the same either way.
  it("aborts the handler's signal with CANCELLED, whether the handler asked for it before the client cancelled or after", async () => {
    const entered = new Map<string, () => void>();
    const enteredOf = (id: string) => new Promise<void>((resolve) => entered.set(id, resolve));
    let lookLate!: () => void;
    const late = new Promise<void>((r) => (lookLate = r));
    const seen = new Map<string, { aborted: boolean; reason: unknown }>();
    const { server, client } = await serve({
      async publish(req, ctx) {
        const id = req.event!.id;
        if (id === "early") {
          const signal = ctx.signal;
          entered.get(id)!();
          await new Promise((resolve) => {
            signal.addEventListener("abort", resolve);
            setTimeout(resolve, 2000);
          });
        } else {
          entered.get(id)!();
          await late;
        }
        seen.set(id, { aborted: ctx.signal.aborted, reason: ctx.signal.reason });
        return {};
      },
    });
    try {
      for (const id of ["early", "late"]) {
        const inHandler = enteredOf(id);
        const call = client.makeUnaryRequest(publishPath, (b: Buffer) => b, (b: Buffer) => b, publishBytes(id), () => undefined);
        await inHandler;
        call.cancel();
      }
      // Time for the late call's cancel to reach the server before its handler looks.
      await new Promise((r) => setTimeout(r, 300));
      lookLate();
      for (let waited = 0; seen.size < 2 && waited < 3000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      for (const id of ["early", "late"]) {
        expect(seen.get(id)).toEqual({ aborted: true, reason: expect.objectContaining({ code: "cancelled" }) });
      }
    } finally {
      client.close();
      await server.shutdown();
    }
  });
});

describe("GrpcServer drain of a bidi stream", () => {
  it("stops reading requests, answers every one it read, then ends with UNAVAILABLE", async () => {
    let read = 0;
    const { server, client } = await serve({
      // Like ingest's PublishStream: requests handled concurrently, answered in order.
      async *publishStream(requests: AsyncIterable<PublishStreamRequest>) {
        const window: Promise<string>[] = [];
        let sequence = 0n;
        const answer = (id: string) => ({ sequence: sequence++, result: { result: { case: "receipt" as const, value: { id } } } });
        for await (const r of requests) {
          read++;
          window.push(new Promise((resolve) => setTimeout(() => resolve(r.event?.id ?? ""), 200)));
          if (window.length >= 8) yield answer(await window.shift()!);
        }
        while (window.length) yield answer(await window.shift()!);
      },
    });
    const call = client.makeBidiStreamRequest(
      streamPath,
      (m: PublishStreamRequest) => Buffer.from(toBinary(PublishStreamRequestSchema, m)),
      (b: Buffer) => fromBinary(PublishStreamResponseSchema, b),
    );
    const got: string[] = [];
    const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    call.on("error", () => undefined);
    const first = new Promise<void>((resolve) =>
      call.on("data", (r: { result: { result: { value: { id: string } } } }) => {
        got.push(r.result.result.value.id);
        resolve();
      }),
    );
    for (let i = 0; i < 20; i++) call.write(create(PublishStreamRequestSchema, { event: { id: `d-${i}` } }));
    await first;
    const stopped = server.shutdown();
    // Requests sent after the shutdown began are never read.
    for (let i = 20; i < 40; i++) call.write(create(PublishStreamRequestSchema, { event: { id: `d-${i}` } }));
    expect((await status).code).toBe(grpc.status.UNAVAILABLE);
    await stopped;
    expect(read).toBeLessThanOrEqual(20);
    expect(got).toEqual(Array.from({ length: read }, (_, i) => `d-${i}`));
    client.close();
  });
});
const healthCheck = (client: grpc.Client, service: string) =>
  new Promise<number>((resolve, reject) =>
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (m: unknown) => Buffer.from(toBinary(HealthCheckRequestSchema, m as never)),
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      create(HealthCheckRequestSchema, { service }),
      (err, res) => (err ? reject(err) : resolve(res!.status)),
    ),
  );

describe("GrpcServer health", () => {
  it("keeps liveness SERVING from listen to the end, while readiness turns NOT_SERVING when the drain starts", async () => {
    const { server, client } = await serve({}, { serving: false });
    const request = (service: string) => create(HealthCheckRequestSchema, { service });
    const encode = (m: unknown) => Buffer.from(toBinary(HealthCheckRequestSchema, m as never));
    const decode = (b: Buffer) => fromBinary(HealthCheckResponseSchema, b);
    const check = (service: string) => healthCheck(client, service);
    const watch = (service: string) => {
      const seen: number[] = [];
      const call = client.makeServerStreamRequest("/grpc.health.v1.Health/Watch", encode, decode, request(service));
      call.on("data", (r: { status: number }) => seen.push(r.status));
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
      call.on("error", () => undefined);
      return { seen, ended };
    };
    expect([await check(LIVENESS), await check(READINESS)]).toEqual([Status.SERVING, Status.NOT_SERVING]);
    server.markServing();
    expect([await check(LIVENESS), await check(READINESS)]).toEqual([Status.SERVING, Status.SERVING]);
    const liveness = watch(LIVENESS);
    const readiness = watch(READINESS);
    await new Promise((r) => setTimeout(r, 100));
    await server.shutdown();
    expect((await liveness.ended).code).toBe(grpc.status.UNAVAILABLE);
    expect((await readiness.ended).code).toBe(grpc.status.UNAVAILABLE);
    expect(liveness.seen).toEqual([Status.SERVING]);
    expect(readiness.seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    client.close();
  });

  it("says NOT_SERVING until marked serving, SERVING then, and NOT_SERVING once shutdown starts", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { server, client } = await serve(
      {
        async publish() {
          await held;
          return {};
        },
      },
      { serving: false },
    );
    const check = (service: string) => healthCheck(client, service);
    expect(await check("")).toBe(Status.NOT_SERVING);
    expect(await check("meshstream.v1.IngestService")).toBe(Status.NOT_SERVING);
    server.markServing();
    expect(await check("meshstream.v1.IngestService")).toBe(Status.SERVING);
    // A watcher hears NOT_SERVING as soon as shutdown starts, before the server stops accepting.
    const watch = client.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      (m: unknown) => Buffer.from(toBinary(HealthCheckRequestSchema, m as never)),
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      create(HealthCheckRequestSchema, { service: "meshstream.v1.IngestService" }),
    );
    watch.on("error", () => undefined);
    const seen: number[] = [];
    const notServing = new Promise<void>((resolve) =>
      watch.on("data", (r: { status: number }) => {
        seen.push(r.status);
        if (r.status === Status.NOT_SERVING) resolve();
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const inFlight = unary(client, publishPath, publishBytes("x"));
    await new Promise((r) => setTimeout(r, 50));
    const stopped = server.shutdown();
    await notServing;
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    release();
    await inFlight;
    await stopped;
    client.close();
  });

  it("says NOT_SERVING while a dependency is down, and SERVING once every one is up again", async () => {
    const { server, client } = await serve({});
    const check = (service: string) => healthCheck(client, service);
    expect(await check("")).toBe(Status.SERVING);
    server.setDependency("channel", false);
    expect([await check(""), await check("meshstream.v1.IngestService")]).toEqual([Status.NOT_SERVING, Status.NOT_SERVING]);
    server.setDependency("catalog", false);
    server.setDependency("channel", true);
    expect(await check("")).toBe(Status.NOT_SERVING);
    server.setDependency("catalog", true);
    expect([await check(""), await check("meshstream.v1.IngestService")]).toEqual([Status.SERVING, Status.SERVING]);
    const stopped = server.shutdown();
    // Shutting down wins over a dependency coming back.
    server.setDependency("channel", true);
    await stopped;
    client.close();
  });
});
