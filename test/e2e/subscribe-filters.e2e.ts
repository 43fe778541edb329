import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as Status, type ServiceError } from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { completeEvent } from "@meshstream/cloudevents";
import { CatalogService, CompatibilityPolicy, IngestService, SubscribeService, type EventFilterSchema, type SubscribeResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { run } from "../harness/run";
import { openEventStream } from "../harness/sse-client";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

type Filter = MessageInitShape<typeof EventFilterSchema>;

/** One event of the mixed stream, as the test publishes it and as its own predicates read it. */
interface Sent {
  readonly id: string;
  readonly type: string;
  readonly source?: string;
  readonly subject?: string;
  readonly extensions: Record<string, string>;
  readonly data: Record<string, unknown>;
}

const total = 10_000;
const pick = <T>(list: readonly T[], i: number) => list[i % list.length]!;

/**
 * A deterministic mix of three types in two data products, with optional
 * subjects, extensions, sources and data fields, so that filters on
 * attributes, extensions and data all have something to tell apart.
 */
function mixedStream(prefix: string): Sent[] {
  return Array.from({ length: total }, (_, i): Sent => {
    const h = (i * 2654435761) >>> 0; // a cheap scramble, so the fields do not move in step
    const extensions: Record<string, string> = {};
    const region = pick(["fr", "de", "us", ""], h >>> 3);
    if (region) extensions.region = region;
    if (i % 13 !== 0) extensions.seq = i % 11 === 0 ? `x${i}` : String(i);
    const subject = pick(["fr/paris", "de/berlin", "vip/ann", "us/nyc", ""], h >>> 7);
    const source = h % 17 === 0 ? "/pos/42" : undefined;
    const base = { id: `${prefix}-${i}`, extensions, ...(subject ? { subject } : {}), ...(source ? { source } : {}) };
    switch (i % 3) {
      case 0: {
        const data: Record<string, unknown> = { first: pick(["John", "Jane", "Ann", "Zoe"], h >>> 11), Last: "Doe" };
        if (i % 7 !== 0) data.Age = (h >>> 5) % 120;
        return { ...base, type: "MySource:newPerson", data };
      }
      case 1: {
        const data: Record<string, unknown> = { total: (h >>> 9) % 1000, country: pick(["FR", "DE", "US", "ES"], h >>> 13) };
        if (i % 5 < 2) data.vip = i % 5 === 0;
        return { ...base, type: "shop:orderPlaced", data };
      }
      default:
        return { ...base, type: "shop:orderCancelled", data: { reason: pick(["late", "broken", "duplicate"], h >>> 4) } };
    }
  });
}

/** Registers the shop product and its two types (people and its type are declared in schemas/). */
async function registerShop(client: TestClient): Promise<void> {
  await client.unary(CatalogService.method.createDataProduct, { dataProduct: { name: "shop", owner: "shop-team", description: "Orders", source: "/shop" } });
  const types = [
    ["shop:orderPlaced", "#Order", "#Order: {total: int & >=0, country: =~\"^[A-Z]{2}$\", vip?: bool}"],
    ["shop:orderCancelled", "#Cancel", '#Cancel: {reason: "late" | "broken" | "duplicate"}'],
  ] as const;
  for (const [type, definition, cueSource] of types) {
    await client.unary(CatalogService.method.registerEventType, { eventType: { type, dataProduct: "shop", description: type, compatibility: CompatibilityPolicy.BACKWARD, definition } });
    await client.unary(CatalogService.method.registerSchemaVersion, { type, cueSource });
  }
}

/**
 * Stores the stream. Through ingest, 10,000 CUE validations take 10–20 s per
 * platform on this shared 2-core machine: the first events go through the
 * platform's PublishBatch (so the schemas accept what the generator makes),
 * the rest straight into the platform's channel, as ingest would store them.
 */
async function store(platform: InProcessPlatform, client: TestClient, events: readonly Sent[]): Promise<void> {
  const throughIngest = 500;
  await publishAll(client, events.slice(0, throughIngest));
  const rest = events.slice(throughIngest).map((e) => {
    const product = e.type.startsWith("shop:") ? "shop" : "people";
    const dataschema = `meshstream:schema/${encodeURIComponent(e.type)}/1`;
    const event = completeEvent({ type: e.type, id: e.id, source: e.source, subject: e.subject, extensions: e.extensions }, { source: `/${product}`, dataschema }, Buffer.from(JSON.stringify(e.data)));
    return { product, event };
  });
  for (let i = 0; i < rest.length; i += 1000) await platform.channel.publish(rest.slice(i, i + 1000));
}

async function publishAll(client: TestClient, events: readonly Sent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 250) {
    const { results } = await client.unary(IngestService.method.publishBatch, {
      events: events.slice(i, i + 250).map((e) => ({
        type: e.type,
        id: e.id,
        source: e.source ?? "",
        subject: e.subject ?? "",
        extensions: e.extensions,
        payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify(e.data)) },
      })),
    });
    const refused = results.find((r) => r.result.case !== "receipt");
    if (refused) throw new Error(`publish refused: ${JSON.stringify(refused.result.value)}`);
  }
}

/** A filter and the same predicate written by hand over what the test sent. */
interface Case {
  readonly name: string;
  readonly filter: Filter;
  readonly expected: (e: Sent) => boolean;
}

const source = (e: Sent) => e.source ?? (e.type.startsWith("shop:") ? "/shop" : "/people");
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

const cases: Case[] = [
  {
    name: "SQL over the type, a data field, an extension and an attribute",
    filter: { sql: "type = 'MySource:newPerson' AND data.Age > 65 AND region IN ('fr', 'de') AND subject LIKE '%/%'" },
    expected: (e) => e.type === "MySource:newPerson" && (num(e.data.Age) ?? -1) > 65 && ["fr", "de"].includes(e.extensions.region!) && (e.subject ?? "").includes("/"),
  },
  {
    name: "SQL with arithmetic, OR over an optional boolean, NOT EXISTS on an extension",
    filter: { sql: "data.total * 2 >= 1000 AND (data.country = 'FR' OR data.vip) AND NOT EXISTS seq" },
    expected: (e) => e.type === "shop:orderPlaced" && (e.data.total as number) * 2 >= 1000 && (e.data.country === "FR" || e.data.vip === true) && e.extensions.seq === undefined,
  },
  {
    name: "dialects: any of exact and prefix, not of suffix",
    filter: { filters: [{ any: [{ exact: { region: "de" } }, { prefix: { subject: "vip/" } }] }, { not: { suffix: { type: "Cancelled" } } }] },
    expected: (e) => (e.extensions.region === "de" || (e.subject ?? "").startsWith("vip/")) && !e.type.endsWith("Cancelled"),
  },
  {
    name: "types with a dialect any of sql on data and exact on source",
    filter: { types: ["shop:orderPlaced", "shop:orderCancelled"], filters: [{ any: [{ sql: "data.total < 100" }, { exact: { source: "/pos/42" } }] }] },
    expected: (e) => e.type.startsWith("shop:") && ((e.type === "shop:orderPlaced" && (e.data.total as number) < 100) || source(e) === "/pos/42"),
  },
  {
    // seq is missing on some events and not a number on others: those evaluations fail and the stream goes on.
    name: "SQL whose evaluation fails on some events",
    filter: { sql: "INT(seq) % 7 = 0 AND type LIKE 'shop:%'" },
    expected: (e) => /^\d+$/.test(e.extensions.seq ?? "") && Number(e.extensions.seq) % 7 === 0 && e.type.startsWith("shop:"),
  },
];

/** Reads a subscription from the earliest event until it has what is expected, then a moment more for anything extra. */
async function received(client: TestClient, filter: Filter, expected: number): Promise<string[]> {
  const stream = readStream<SubscribeResponse>(client.serverStream(SubscribeService.method.subscribe, { filter, start: { start: { case: "earliest", value: true } } }));
  try {
    await stream.first(expected, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    return stream.items.map((m) => m.delivery!.event!.id);
  } finally {
    stream.cancel();
  }
}

function expectExactly(ids: readonly string[], events: readonly Sent[], predicate: (e: Sent) => boolean) {
  const want = events.filter(predicate).map((e) => e.id);
  // Meaningful: some match, most do not.
  expect(want.length).toBeGreaterThan(20);
  expect(want.length).toBeLessThan(events.length / 2);
  expect(ids.length).toBe(want.length);
  expect([...ids].sort()).toEqual([...want].sort());
}

/** A platform of its own for the enclosing describe, holding the shop types and the mixed stream; removed after. */
function withMixedStream(env: Record<string, string>) {
  const ctx = {} as { platform: InProcessPlatform; client: TestClient; events: Sent[]; dataDir: string };
  beforeAll(async () => {
    ctx.dataDir = mkdtempSync(join(tmpdir(), "meshstream-filters-"));
    ctx.platform = await startInProcessPlatform({ MESHSTREAM_DATA_DIR: ctx.dataDir, ...env });
    ctx.client = new TestClient(ctx.platform.address);
    await registerShop(ctx.client);
    ctx.events = mixedStream(randomUUID().slice(0, 8));
    await store(ctx.platform, ctx.client, ctx.events);
  }, 120_000);
  afterAll(async () => {
    ctx.client?.close();
    await ctx.platform?.close();
    if (ctx.dataDir) rmSync(ctx.dataDir, { recursive: true, force: true });
  });
  return ctx;
}

describe("subscription filters on the embedded channel", () => {
  const ctx = withMixedStream({});

  it.each(cases)("Subscribe with $name receives exactly the matching events of 10,000", async ({ filter, expected }) => {
    expectExactly(await received(ctx.client, filter, ctx.events.filter(expected).length), ctx.events, expected);
  });

  // The HTTP face passes the same filter fields to the same service: sql as it is, dialects as JSON.
  it.each([cases[0]!, cases[2]!])("SSE with $name receives exactly the matching events of 10,000", async ({ filter, expected }) => {
    const query = new URLSearchParams({ start: "earliest" });
    if (filter.sql) query.append("sql", filter.sql);
    for (const f of filter.filters ?? []) query.append("filters", JSON.stringify(f));
    const stream = openEventStream(`${ctx.platform.httpUrl}/events?${query}`);
    try {
      expect((await stream.response).statusCode).toBe(200);
      await stream.first(ctx.events.filter(expected).length, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expectExactly(stream.messages.map((m) => (JSON.parse(m.data) as { id: string }).id), ctx.events, expected);
    } finally {
      stream.close();
    }
  });

  it("Fetch pages through a sparse filter: every matching event once, pages filled", async () => {
    const filter = { sql: "data.first = 'Zoe' AND data.Age < 30" };
    const expected = (e: Sent) => e.data.first === "Zoe" && (num(e.data.Age) ?? 999) < 30;
    const ids: string[] = [];
    const sizes: number[] = [];
    let cursor = "";
    for (;;) {
      const page = await ctx.client.unary(SubscribeService.method.fetch, { filter, cursor, maxEvents: 40 });
      ids.push(...page.deliveries.map((d) => d.event!.id));
      sizes.push(page.deliveries.length);
      if (page.nextCursor === cursor) break;
      cursor = page.nextCursor;
    }
    expectExactly(ids, ctx.events, expected);
    // Pages are full although few events match (a page stops filling after a second: one short page is allowed
    // on a loaded machine); before, a page came back with the first few matches of 256 records read.
    expect(sizes.filter((s) => s === 40).length).toBeGreaterThanOrEqual(Math.floor(ids.length / 40) - 1);
  });

  it("grpcurl fetches with a filter in the Subscriptions API's JSON form", async () => {
    const filter = { filters: [{ exact: { type: "MySource:newPerson", region: "fr" } }], sql: "data.Age >= 100" };
    const ids: string[] = [];
    // A page stops filling after a second: on a loaded machine the matches may take more than one.
    for (let cursor = "", calls = 0; calls < 20; calls++) {
      const r = await run(toolPath("GRPCURL"), ["-plaintext", "-d", JSON.stringify({ filter, cursor, maxEvents: 1000 }), ctx.platform.address, "meshstream.v1.SubscribeService/Fetch"], { timeoutMs: 20_000 });
      expect(r.stderr).toBe("");
      const page = JSON.parse(r.stdout) as { deliveries?: { event: { id: string } }[]; nextCursor: string };
      ids.push(...(page.deliveries ?? []).map((d) => d.event.id));
      if (page.nextCursor === cursor) break;
      cursor = page.nextCursor;
    }
    const want = ctx.events.filter((e) => e.type === "MySource:newPerson" && e.extensions.region === "fr" && (num(e.data.Age) ?? -1) >= 100).map((e) => e.id);
    expect(want.length).toBeGreaterThan(5);
    expect(ids.sort()).toEqual(want.sort());
  });

  describe("refusals, when the subscription starts", () => {
    const refusal = async (filter: Filter): Promise<ServiceError> => {
      const stream = readStream<SubscribeResponse>(ctx.client.serverStream(SubscribeService.method.subscribe, { filter }));
      const err = await stream.failure();
      expect(stream.items).toEqual([]);
      // Fetch answers the same.
      await expect(ctx.client.unary(SubscribeService.method.fetch, { filter })).rejects.toMatchObject({ code: err.code, details: err.details });
      return err;
    };

    it.each<[string, Filter, Status, string]>([
      [
        "a data field the schema does not have",
        { types: ["MySource:newPerson"], sql: "data.age > 65" },
        Status.INVALID_ARGUMENT,
        "filter.sql: unknown data field data.age (line 1, column 1): not in the schema of MySource:newPerson (schema version 1)",
      ],
      [
        "a kind mismatch, a number compared with a string",
        { sql: "data.Age = 'old'" },
        Status.INVALID_ARGUMENT,
        "filter.sql: data.Age is a number in MySource:newPerson (schema version 1), but the filter compares it with the String 'old' (line 1, column 1)",
      ],
      ["a syntax error", { sql: "data.Age > 65 AND" }, Status.INVALID_ARGUMENT, "filter.sql: syntax error at line 1, column 18: Expected"],
      ["a filter no known type can match (SQL)", { sql: "type = 'Nope:nothing'" }, Status.NOT_FOUND, "filter: no event type known to the catalog can match this filter"],
      ["a filter no known type can match (dialect)", { filters: [{ prefix: { type: "Nope:" } }] }, Status.NOT_FOUND, "no event type known to the catalog can match this filter"],
      ["a field of a type the filter cannot match", { filters: [{ exact: { type: "shop:orderCancelled" } }], sql: "data.total > 1" }, Status.INVALID_ARGUMENT, "unknown data field data.total"],
      ["two dialects in one filter", { filters: [{ exact: { type: "a" }, sql: "TRUE" }] }, Status.INVALID_ARGUMENT, "filter.filters[0]: a filter sets exactly one of"],
      ["a function that does not exist", { sql: "NOPE(subject)" }, Status.INVALID_ARGUMENT, "there is no function NOPE with 1 argument (line 1, column 1)"],
    ])("%s", async (_what, filter, code, message) => {
      const err = await refusal(filter);
      expect(err.code).toBe(code);
      expect(err.details).toContain(message);
    });

    it("grpcurl shows INVALID_ARGUMENT with the position and a BadRequest violation on filter.sql", async () => {
      const r = await run(
        toolPath("GRPCURL"),
        ["-plaintext", "-format-error", "-d", JSON.stringify({ filter: { sql: "data.Age >>> 65" } }), ctx.platform.address, "meshstream.v1.SubscribeService/Subscribe"],
        { timeoutMs: 20_000 },
      );
      const status = JSON.parse(r.stderr) as { code: number; message: string; details: { fieldViolations: { field: string; description: string }[] }[] };
      expect(status.code).toBe(Status.INVALID_ARGUMENT);
      expect(status.message).toMatch(/^filter\.sql: syntax error at line 1, column 11: /);
      expect(status.details[0]!.fieldViolations).toEqual([{ field: "filter.sql", description: expect.stringMatching(/^syntax error at line 1, column 11/) }]);
    });
  });
});

describe("subscription filters on Kafka", () => {
  const ctx = withMixedStream({
    MESHSTREAM_CHANNEL: "kafka",
    MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"),
    MESHSTREAM_KAFKA_TOPIC_PREFIX: `filters-${randomUUID().slice(0, 8)}.`,
  });

  it.each([cases[0]!, cases[2]!])("Subscribe with $name receives exactly the matching events of 10,000", async ({ filter, expected }) => {
    expectExactly(await received(ctx.client, filter, ctx.events.filter(expected).length), ctx.events, expected);
  });
});
