import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary, type DescMethod, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { CatalogService, CompatibilityPolicy, EventTypeSchema, Health, HealthCheckResponse_ServingStatus, IngestService, SubscribeService } from "@meshstream/proto";
import fc from "fast-check";
import { methodPath, TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";

const Code = grpc.status;
/** What no input may ever get: the server would be answering for its own failure. */
const undefinedCodes = new Set([Code.INTERNAL, Code.UNKNOWN]);

const person = { type: "MySource:newPerson", payload: { case: "data" as const, value: { first: "John", Last: "Doe", Age: 40 } } };

/** Valid requests of every method, mutated by the fuzzer (an empty message is always one more). */
const seeds: Record<string, unknown[]> = {
  "IngestService/Publish": [{ event: person }, { event: { ...person, subject: "s", extensions: { region: "eu" } } }],
  "IngestService/PublishBatch": [{ events: [person, { type: "Nope" }] }],
  "IngestService/PublishStream": [{ event: person }],
  "CatalogService/CreateDataProduct": [{ dataProduct: { name: "fuzz", owner: "o" } }],
  "CatalogService/GetDataProduct": [{ name: "people" }],
  "CatalogService/SetDataProductAccess": [{ dataProduct: "people", access: { owners: ["group:people-team"], producers: ["hr-app"], consumers: ["*"] } }],
  "CatalogService/ListDataProducts": [{ pageSize: 2 }],
  "CatalogService/RegisterEventType": [{ eventType: { type: "fuzz.t", dataProduct: "people", definition: "#T", compatibility: CompatibilityPolicy.NONE } }],
  "CatalogService/GetEventType": [{ type: "MySource:newPerson" }],
  "CatalogService/ListEventTypes": [{ dataProduct: "people", pageSize: 1 }],
  "CatalogService/SearchEventTypes": [{ query: "person" }],
  "CatalogService/RegisterSchemaVersion": [{ type: "MySource:newPerson", cueSource: '#Identity: {first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130, nick?: string}' }],
  "CatalogService/GetSchemaVersion": [{ type: "MySource:newPerson", version: 1 }],
  "CatalogService/ListSchemaVersions": [{ type: "MySource:newPerson" }],
  "CatalogService/CheckCompatibility": [{ type: "MySource:newPerson", cueSource: "#Identity: {first: string}" }],
  "CatalogService/ValidateEvent": [{ event: person }],
  "CatalogService/GetOpenApi": [{ subject: { case: "type", value: "MySource:newPerson" } }, { subject: { case: "dataProduct", value: "people" } }],
  "CatalogService/GetJsonSchema": [{ type: "MySource:newPerson" }],
  "CatalogService/WatchCatalog": [{}],
  "SubscribeService/Subscribe": [{ filter: { types: ["MySource:newPerson"] }, start: { position: { case: "earliest", value: true } } }],
  "SubscribeService/Fetch": [{ filter: { types: ["MySource:newPerson"] }, maxEvents: 5 }],
  "Health/Check": [{ service: "" }],
  "Health/List": [{}],
  "Health/Watch": [{ service: "meshstream.v1.IngestService" }],
};

interface Answer {
  readonly code: number;
  readonly details: string;
}

/** Sends raw request bytes to a method over the socket and reads the status (a stream is cancelled after its first answer or a short while). */
function callRaw(client: grpc.Client, method: DescMethod, requests: Buffer[]): Promise<Answer> {
  const path = methodPath(method);
  const raw = (b: Buffer) => b;
  const deadline = Date.now() + 10_000;
  return new Promise((resolve) => {
    const done = (code: number, details: string) => resolve({ code, details });
    if (method.methodKind === "unary") {
      client.makeUnaryRequest(path, raw, raw, requests[0]!, { deadline }, (err) => done(err?.code ?? Code.OK, err?.details ?? ""));
      return;
    }
    const call =
      method.methodKind === "server_streaming"
        ? client.makeServerStreamRequest(path, raw, raw, requests[0]!, { deadline })
        : client.makeBidiStreamRequest(path, raw, raw, { deadline });
    if (method.methodKind === "bidi_streaming") {
      const duplex = call as grpc.ClientDuplexStream<Buffer, Buffer>;
      for (const r of requests) duplex.write(r);
      duplex.end();
    }
    // Long-lived streams (Subscribe, Watch) are ended by us once they have answered anything, or after a while.
    const timer = setTimeout(() => call.cancel(), 300);
    call.on("data", () => undefined);
    call.on("status", (s: grpc.StatusObject) => {
      clearTimeout(timer);
      done(s.code === Code.CANCELLED && s.details.startsWith("Cancelled on client") ? Code.OK : s.code, s.details);
    });
    call.on("error", () => undefined);
  });
}

/** A valid message changed the way a broken or hostile client would: bytes flipped, cut, inserted, repeated. */
const mutated = (seed: Uint8Array) =>
  fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
        fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
        fc.record({ kind: fc.constant("repeat" as const), times: fc.integer({ min: 1, max: 3 }) }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      let b = Buffer.from(seed);
      for (const e of edits) {
        const at = b.length ? ("at" in e ? e.at % (b.length + 1) : 0) : 0;
        if (e.kind === "flip" && b.length) b[at % b.length] = e.value;
        else if (e.kind === "cut") b = b.subarray(0, at);
        else if (e.kind === "insert") b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
        else if (e.kind === "repeat") b = Buffer.concat(Array(e.times + 1).fill(b));
      }
      return b;
    });

describe("fuzzing every RPC over a real socket", () => {
  let dir: string;
  let platform: InProcessPlatform;
  let raw: grpc.Client;
  let client: TestClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "meshstream-fuzz-"));
    platform = await startInProcessPlatform({ MESHSTREAM_DATA_DIR: dir, MESHSTREAM_VALIDATION_TIMEOUT_MS: "2000" });
    raw = new grpc.Client(platform.address, grpc.credentials.createInsecure());
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    raw?.close();
    client?.close();
    await platform?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const services: DescService[] = [IngestService, CatalogService, SubscribeService, Health];
  const methods = services.flatMap((s) => s.methods);

  it("knows a valid request for every method", () => {
    expect(methods.map((m) => `${m.parent.name}/${m.name}`).sort()).toEqual(Object.keys(seeds).sort());
  });

  it("stores only the fields it knows of an event type a newer client registers, and lists it like any other", async () => {
    // Field 101 of EventType, unknown here: what a client built from a newer proto may send. Stored
    // along with the rest, it once made every later ListEventTypes and SearchEventTypes fail (INTERNAL).
    const eventType = Buffer.concat([Buffer.from(toBinary(EventTypeSchema, create(EventTypeSchema, { type: "fuzz.newer", dataProduct: "people", definition: "#T" }))), Buffer.from("a80601", "hex")]);
    const request = Buffer.concat([Buffer.from([0x0a, eventType.length]), eventType]);
    expect(await callRaw(raw, CatalogService.method.registerEventType, [request])).toEqual({ code: Code.OK, details: "" });
    for (const [method, body] of [
      [CatalogService.method.listEventTypes, {}],
      [CatalogService.method.searchEventTypes, { query: "fuzz.newer" }],
    ] as const) {
      expect(await callRaw(raw, method, [Buffer.from(toBinary(method.input, create(method.input, body)))])).toEqual({ code: Code.OK, details: "" });
    }
    const { eventType: got } = await client.unary(CatalogService.method.getEventType, { type: "fuzz.newer" });
    expect(got).toMatchObject({ type: "fuzz.newer", dataProduct: "people", definition: "#T" });
    expect(got!.$unknown).toBeUndefined();
  });

  it.each(methods.map((m) => [`${m.parent.name}/${m.name}`, m] as const))("%s answers random and mutated requests with a defined code", async (name, method) => {
    const valid = [{}, ...seeds[name]!].map((s) => Buffer.from(toBinary(method.input, create(method.input, s as never))));
    const request = fc.oneof(fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)), fc.constantFrom(...valid).chain(mutated));
    const streaming = method.methodKind !== "unary";
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: method.methodKind === "bidi_streaming" ? 3 : 1 }), async (requests) => {
        const answer = await callRaw(raw, method, requests);
        if (undefinedCodes.has(answer.code)) throw new Error(`${name} answered ${Code[answer.code]} (${answer.details}) to ${requests.map((r) => r.toString("hex")).join(" ")}`);
        // A long poll may run into our deadline; nothing else may.
        if (answer.code === Code.DEADLINE_EXCEEDED && name !== "SubscribeService/Fetch") throw new Error(`${name} did not answer within 10 s`);
      }),
      { numRuns: streaming ? 25 : 120, interruptAfterTimeLimit: 8000 },
    );
  });

  it("answers random JSON-ish event data with OK or INVALID_ARGUMENT, as JSON bytes and as a Struct", async () => {
    const data = fc.oneof(
      fc.jsonValue().map((v) => ({ case: "dataJson" as const, value: Buffer.from(JSON.stringify(v)) })),
      fc.string({ unit: "binary" }).map((s) => ({ case: "dataJson" as const, value: Buffer.from(s) })),
      fc.dictionary(fc.string(), fc.jsonValue()).map((v) => ({ case: "data" as const, value: v as never })),
      fc.record({ first: fc.string(), Last: fc.string(), Age: fc.oneof(fc.double(), fc.integer(), fc.string()) }).map((v) => ({ case: "data" as const, value: v as never })),
    );
    await fc.assert(
      fc.asyncProperty(data, async (payload) => {
        const code = await client.unary(IngestService.method.publish, { event: { type: "MySource:newPerson", payload } }).then(
          () => Code.OK,
          (e: grpc.ServiceError) => (e.code === Code.INVALID_ARGUMENT ? e.code : (() => { throw new Error(`${Code[e.code]}: ${e.details}`); })()),
        );
        expect([Code.OK, Code.INVALID_ARGUMENT]).toContain(code);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
  });

  it("keeps serving afterwards", async () => {
    expect((await client.unary(Health.method.check, { service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await client.unary(IngestService.method.publish, { event: person })).receipt?.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
