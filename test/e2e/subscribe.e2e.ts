import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { status as Status } from "@grpc/grpc-js";
import { descriptorSetPath, IngestService, SubscribeService, type SubscribeResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { run, spawnLive } from "../harness/run";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const person = (i: number) => JSON.stringify({ first: "Ann", Last: `Lee${i}`, Age: i % 100 });

describe("SubscribeService on Kafka", () => {
  let platform: RunningPlatform;
  let client: TestClient;

  beforeAll(async () => {
    platform = await startPlatform({
      MESHSTREAM_CHANNEL: "kafka",
      MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"),
      MESHSTREAM_KAFKA_TOPIC_PREFIX: `subscribe-${randomUUID().slice(0, 8)}.`,
    });
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.stop();
  });

  /** Publishes through the platform's own ingest, in one batch (one subject: one partition, so one order). */
  async function publish(count: number, options: { source?: string; data?: (i: number) => string } = {}) {
    const data = options.data ?? person;
    const { results } = await client.unary(IngestService.method.publishBatch, {
      events: Array.from({ length: count }, (_, i) => ({ type, subject: "order-test", source: options.source ?? "", payload: { case: "dataJson" as const, value: Buffer.from(data(i)) } })),
    });
    return results.map((r) => {
      if (r.result.case !== "receipt") throw new Error(`publish refused: ${JSON.stringify(r.result.value)}`);
      return r.result.value;
    });
  }

  const subscribe = (request: Parameters<TestClient["serverStream"]>[1]) => readStream<SubscribeResponse>(client.serverStream(SubscribeService.method.subscribe, request));
  const ids = (responses: readonly SubscribeResponse[]) => responses.map((r) => r.delivery!.event!.id);

  it("grpcurl prints the events published after it subscribed, as JSON", async () => {
    const grpcurl = spawnLive(toolPath("GRPCURL"), ["-plaintext", "-v", "-d", JSON.stringify({ filter: { types: [type] } }), platform.address, "meshstream.v1.SubscribeService/Subscribe"]);
    try {
      // -v prints the headers when they arrive: the platform sends them once the subscription is positioned.
      await grpcurl.waitFor((out) => out.includes("Response headers received"), 20_000);
      const receipts = await publish(3);
      const out = await grpcurl.waitFor((o) => (o.match(/"delivery"/g) ?? []).length >= 3, 20_000);
      const messages = out
        .split(/\n(?=\{)/)
        .filter((block) => block.startsWith("{"))
        .map((block) => JSON.parse(block.slice(0, block.lastIndexOf("}") + 1)) as { delivery: { position: string; event: { id: string; type: string; source: string; textData: string; attributes: Record<string, unknown> } } });
      expect(messages.map((m) => m.delivery.event.id)).toEqual(receipts.map((r) => r.id));
      expect(messages[0]!.delivery.event).toMatchObject({ type, source: "/people", textData: person(0), attributes: { datacontenttype: { ceString: "application/json" } } });
      expect(messages[2]!.delivery.position).not.toBe("");
    } finally {
      await grpcurl.kill();
    }
  });

  it("delivers to a Python grpcio subscriber, in order and with the data intact, what a TypeScript client publishes", async () => {
    const count = 50;
    const python = spawnLive(toolPath("PYTHON"), [join(repoRoot, "test/harness/python/subscribe.py"), platform.address, descriptorSetPath, type, String(count)]);
    try {
      await python.waitFor((out) => out.includes('{"ready": true}'), 20_000);
      const data = (i: number) => JSON.stringify({ first: "Emile", Last: `Zoë-naïve-☃-${i}`, Age: i });
      const receipts = await publish(count, { data });
      const out = await python.waitFor((o) => o.trim().split("\n").length >= count + 1, 30_000);
      const deliveries = out.trim().split("\n").slice(1).map((l) => JSON.parse(l) as { id: string; type: string; data: string });
      expect(deliveries.map((d) => d.id)).toEqual(receipts.map((r) => r.id));
      expect(deliveries.map((d) => d.data)).toEqual(Array.from({ length: count }, (_, i) => data(i)));
      expect(python.stderr()).toBe("");
    } finally {
      await python.kill();
    }
  });

  describe("replay", () => {
    // A source of their own keeps these tests' events apart from the others' on the same topic.
    const source = `/replay-${randomUUID()}`;
    const filter = { sources: [source] };
    let before: Awaited<ReturnType<typeof publish>>;
    let after: Awaited<ReturnType<typeof publish>>;
    let between: Date;

    beforeAll(async () => {
      before = await publish(3, { source });
      await new Promise((r) => setTimeout(r, 50));
      between = new Date();
      await new Promise((r) => setTimeout(r, 50));
      after = await publish(3, { source });
    });

    async function exactly(start: Parameters<typeof subscribe>[0]["start"], expected: readonly { id: string }[]) {
      const stream = subscribe({ filter, start });
      try {
        const got = await stream.first(expected.length);
        // Nothing beyond what is expected: no duplicate arrives late.
        await new Promise((r) => setTimeout(r, 300));
        expect(ids(stream.items)).toEqual(expected.map((e) => e.id));
        return got;
      } finally {
        stream.cancel();
      }
    }

    it("from earliest delivers every retained event", async () => {
      await exactly({ start: { case: "earliest", value: true } }, [...before, ...after]);
    });

    it("after a position delivers the events after it", async () => {
      await exactly({ start: { case: "after", value: before[1]!.position } }, [before[2]!, ...after]);
    });

    it("from a time delivers the events stored from then on", async () => {
      await exactly({ start: { case: "time", value: timestampFromDate(between) } }, after);
    });

    it("resumed from the last position seen, misses nothing and repeats nothing", async () => {
      const firstPart = await exactly({ start: { case: "earliest", value: true } }, [...before, ...after]).then((all) => all.slice(0, 2));
      await exactly({ start: { case: "after", value: firstPart[1]!.delivery!.position } }, [before[2]!, ...after]);
    });

    it("pages with Fetch and its cursor, and long-polls for the next event", async () => {
      const fetch = (cursor: string, maxEvents: number, waitMs = 0) =>
        client.unary(SubscribeService.method.fetch, { filter, cursor, maxEvents, wait: { seconds: BigInt(Math.floor(waitMs / 1000)), nanos: (waitMs % 1000) * 1e6 } });
      // A page holds at most maxEvents, and what is at hand: page until all six are in.
      const seen: string[] = [];
      let cursor = "";
      for (let pages = 0; seen.length < 6 && pages < 20; pages++) {
        const page = await fetch(cursor, 4);
        expect(page.deliveries.length).toBeLessThanOrEqual(4);
        seen.push(...page.deliveries.map((d) => d.event!.id));
        cursor = page.nextCursor;
      }
      expect(seen).toEqual([...before, ...after].map((e) => e.id));
      const t = Date.now();
      const empty = await fetch(cursor, 4, 500);
      expect(empty.deliveries).toEqual([]);
      expect(Date.now() - t).toBeGreaterThanOrEqual(450);
      const polling = fetch(empty.nextCursor, 4, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      const [late] = await publish(1, { source });
      const page3 = await polling;
      expect(page3.deliveries.map((d) => d.event!.id)).toEqual([late!.id]);
    });
  });

  it("grpcurl pulls a page with Fetch, as JSON, and long-polls with a duration", async () => {
    const source = `/fetch-${randomUUID()}`;
    const receipts = await publish(2, { source });
    const fetch = (cursor: string) =>
      run(toolPath("GRPCURL"), ["-plaintext", "-d", JSON.stringify({ filter: { sources: [source] }, cursor, maxEvents: 10, wait: "0.3s" }), platform.address, "meshstream.v1.SubscribeService/Fetch"], { timeoutMs: 20_000 });
    const first = await fetch("");
    expect(first.stderr).toBe("");
    const page = JSON.parse(first.stdout) as { deliveries: { event: { id: string } }[]; nextCursor: string };
    expect(page.deliveries.map((d) => d.event.id)).toEqual(receipts.map((r) => r.id));
    const t = Date.now();
    const empty = await fetch(page.nextCursor);
    expect(JSON.parse(empty.stdout)).toEqual({ nextCursor: page.nextCursor });
    expect(Date.now() - t).toBeGreaterThanOrEqual(300);
  });

  describe("refusals", () => {
    it.each([
      ["an unknown type", { filter: { types: ["MySource:nope"] } }, Status.NOT_FOUND, "event type MySource:nope not found"],
      ["a prefix no type has", { filter: { typePrefixes: ["Nobody:"] } }, Status.NOT_FOUND, 'no event type starts with "Nobody:"'],
      ["a position the platform did not give", { filter: { types: [type] }, start: { start: { case: "after" as const, value: "garbage" } } }, Status.INVALID_ARGUMENT, "invalid position"],
      ["an empty filter entry", { filter: { types: [""] } }, Status.INVALID_ARGUMENT, "filter.types: entries must not be empty"],
    ])("Subscribe refuses %s when the subscription starts", async (_what, request, code, message) => {
      const stream = subscribe(request);
      const err = await stream.failure();
      expect(err.code).toBe(code);
      expect(err.details).toContain(message);
      expect(stream.items).toEqual([]);
    });

    it("Subscribe and Fetch refuse forged positions with INVALID_ARGUMENT: offsets of 2^64 or negative, an unknown partition, another product's topic", async () => {
      const [receipt] = await publish(1);
      // Positions are opaque to clients; forging one means knowing their format: base64url of [partition, next offset] pairs.
      const [[partition, offset]] = JSON.parse(Buffer.from(receipt!.position, "base64url").toString()) as [[string, string]];
      const forge = (pairs: [string, string][]) => Buffer.from(JSON.stringify(pairs)).toString("base64url");
      const forged = {
        "an offset of 2^64": forge([[partition, (2n ** 64n).toString()]]),
        "an offset past the end": forge([[partition, (BigInt(offset) + 1000n).toString()]]),
        "a negative offset": forge([[partition, "-1"]]),
        "an unknown partition": forge([[partition.replace(/\d+$/, "9"), "0"]]),
        "another product's topic": forge([[partition.replace(/people\u0000/, "billing\u0000"), "0"]]),
      };
      for (const [what, position] of Object.entries(forged)) {
        const err = await subscribe({ filter: { types: [type] }, start: { start: { case: "after", value: position } } }).failure();
        expect([what, err.code, err.details]).toEqual([what, Status.INVALID_ARGUMENT, expect.stringMatching(/^invalid position: /)]);
        const fetched = await client.unary(SubscribeService.method.fetch, { filter: { types: [type] }, cursor: position }).catch((e: { code: number }) => e);
        expect([what, fetched]).toEqual([what, expect.objectContaining({ code: Status.INVALID_ARGUMENT })]);
      }
    });

    it("grpcurl shows NOT_FOUND for an unknown type, and Fetch answers it too", async () => {
      const r = await run(toolPath("GRPCURL"), ["-plaintext", "-d", JSON.stringify({ filter: { types: ["MySource:nope"] } }), platform.address, "meshstream.v1.SubscribeService/Subscribe"], { timeoutMs: 20_000 });
      expect(r.stderr).toContain("Code: NotFound");
      expect(r.stderr).toContain("event type MySource:nope not found");
      await expect(client.unary(SubscribeService.method.fetch, { filter: { types: ["MySource:nope"] } })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    });
  });
});
