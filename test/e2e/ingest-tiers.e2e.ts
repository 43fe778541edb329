import { create, fromBinary } from "@bufbuild/protobuf";
import type { ServiceError } from "@grpc/grpc-js";
import { EventInputSchema, IngestService, PublishResponseSchema, PublishStreamRequestSchema, type PublishStreamResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { readStream } from "../harness/stream-reader";

/**
 * Ingest's two tiers of validation over a real socket (grpc-js client), on
 * one in-process platform.
 */
let platform: InProcessPlatform;
let client: TestClient;

beforeAll(async () => {
  platform = await startInProcessPlatform();
  client = new TestClient(platform.address);
});
afterAll(async () => {
  client?.close();
  await platform?.close();
});

/**
 * Data that JSON parsers disagree on, or that could take a parser down, gets
 * the answer `cue vet -c` gives it (the differential tests of the validation
 * and engine libraries hold the CLI's side), whichever tier validates it; the
 * platform keeps serving.
 */
describe("ingest keeps its answers on bad input", () => {

  const publish = (data: Uint8Array | string) =>
    client.unary(IngestService.method.publish, { event: { type: "MySource:newPerson", payload: { case: "dataJson", value: typeof data === "string" ? Buffer.from(data) : data } } });
  const refusal = async (call: Promise<unknown>) => {
    const err = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as ServiceError | undefined;
    return err && { code: err.code, message: err.details };
  };

  it.each([
    ["not JSON", "{first: John}", /invalid JSON/],
    ["empty", "", /invalid JSON/],
    ["10,000 levels of nesting", `{"first":"John","Last":"Doe","x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`, /nests 10001 levels deep, more than the limit of 1000/],
    ["a key given twice with two values", '{"first":"John","first":"Jim","Last":"Doe"}', /^#Identity\.first: conflicting values "Jim" and "John"$/],
    ["a number beyond float64 under a bound", '{"first":"John","Last":"Doe","Age":1e400}', /^#Identity\.Age: invalid value 1E\+400 \(out of bound <130\)$/],
    ["an integer beyond int64 under a bound", '{"first":"John","Last":"Doe","Age":123456789012345678901234567890}', /out of bound <130/],
    ["half a surrogate pair", '{"first":"J\\ud800","Last":"Doe"}', /unmatched surrogate pair/],
    ["a byte-order mark inside the document", '{"first":"\ufeffJohn","Last":"Doe"}', /invalid JSON/],
  ])("refuses %s with INVALID_ARGUMENT and the engine's message", async (_what, data, message) => {
    const r = await refusal(publish(data));
    expect(r).toEqual({ code: 3, message: expect.stringMatching(message) });
  });

  it.each([
    ["a key given twice with the same value", '{"first":"John","first":"John","Last":"Doe"}'],
    ["a number far below the bound, beyond float64", '{"first":"John","Last":"Doe","Age":-1e400}'],
    ["a UTF-8 byte-order mark before the document", "\ufeff" + '{"first":"John","Last":"Doe"}'],
    ["invalid UTF-8 in a string (the CLI reads U+FFFD)", Buffer.concat([Buffer.from('{"first":"Jo'), Buffer.from([0xff]), Buffer.from('hn","Last":"Doe"}')])],
  ])("accepts %s, as the CLI does", async (_what, data) => {
    const r = await publish(data);
    expect(r.receipt?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a google.protobuf.Struct nested 10,000 levels as a malformed request, and keeps serving", async () => {
    // Built by hand: an encoder would recurse as deep as the decoder it tests.
    const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), varint(body.length), body]);
    let struct = Buffer.alloc(0);
    for (let i = 0; i < 10_000; i++) struct = field(0x0a, Buffer.concat([field(0x0a, Buffer.from("a")), field(0x12, field(0x2a, struct))]));
    const dataField = EventInputSchema.fields.find((f) => f.name === "data")!.number;
    const request = field(0x0a, Buffer.concat([field(0x0a, Buffer.from("MySource:newPerson")), field((dataField << 3) | 2, struct)]));
    const raw = new Promise((resolve, reject) =>
      client.raw.makeUnaryRequest(
        "/meshstream.v1.IngestService/Publish",
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(PublishResponseSchema, b),
        request,
        (err, out) => (err ? reject(err) : resolve(out)),
      ),
    );
    expect(await refusal(raw)).toEqual({ code: 3, message: expect.stringMatching(/maximum recursion depth/) });
    expect((await publish('{"first":"John","Last":"Doe"}')).receipt?.id).toBeTruthy();
  });
});

/** Events validated by the fast path and by the engine are stored in stream order; each answer comes once its event is stored. */
describe("PublishStream", () => {
  const request = (data: string, subject: string) =>
    create(PublishStreamRequestSchema, { event: { type: "MySource:newPerson", subject, payload: { case: "dataJson", value: Buffer.from(data) } } });

  it("answers each event once it is stored, to a client that waits for every answer before it sends the next", async () => {
    const call = client.bidiStream(IngestService.method.publishStream);
    const answers: PublishStreamResponse[] = [];
    let answered: () => void = () => undefined;
    call.on("data", (r: PublishStreamResponse) => {
      answers.push(r);
      answered();
    });
    for (let i = 0; i < 5; i++) {
      const next = new Promise<void>((resolve) => (answered = resolve));
      call.write(request(`{"first":"Ann","Last":"Lee","Age":${i}}`, "waiting"));
      await next;
    }
    call.end();
    expect(answers.map((a) => [a.sequence, a.result?.result.case])).toEqual([0n, 1n, 2n, 3n, 4n].map((s) => [s, "receipt"]));
  });

  it("stores the events of a stream in its order, whichever tier validated each", async () => {
    // The same person in turns: valid on the fast path, valid after the engine (a key given twice), refused.
    const subject = `order-${Date.now()}`;
    const data = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? `{"first":"Ann","Last":"Lee","Age":${i}}` : i % 3 === 1 ? `{"first":"Ann","first":"Ann","Last":"Lee","Age":${i}}` : `{"first":"ann","Last":"Lee","Age":${i}}`,
    );
    const call = client.bidiStream(IngestService.method.publishStream);
    const { items: answers, ended: done } = readStream<PublishStreamResponse>(call);
    for (const d of data) call.write(request(d, subject));
    call.end();
    await done;
    expect(answers.map((a) => a.result?.result.case)).toEqual(data.map((_, i) => (i % 3 === 2 ? "error" : "receipt")));

    const stored: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await platform.channel.fetch({ products: ["people"] }, cursor, 1000, 0);
      if (page.deliveries.length === 0) break;
      cursor = page.cursor;
      for (const d of page.deliveries) {
        if (d.event.subject === subject) stored.push((JSON.parse(Buffer.from(d.event.data!).toString()) as { Age: number }).Age);
      }
    }
    expect(stored).toEqual(data.flatMap((_, i) => (i % 3 === 2 ? [] : [i])));
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
  out.push(n);
  return Buffer.from(out);
}
