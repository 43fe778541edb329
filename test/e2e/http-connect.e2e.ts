import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, CatalogService, ConsumeRequestSchema, IngestService, SubscribeService, SubscriptionService, type ConsumeRequest } from "@meshstream/proto";
import { create } from "@bufbuild/protobuf";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";

const type = "MySource:newPerson";
/** The ConnectError a call fails with; a call that succeeds fails the test. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded");
}

const person = (last: string, age = 40) => ({ type, payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann", Last: last, Age: age })) } });

describe("the Connect protocol, with @connectrpc/connect-node clients (binary)", () => {
  let platform: InProcessPlatform;
  let transport: ReturnType<typeof createConnectTransport>;

  beforeAll(async () => {
    platform = await startInProcessPlatform();
    transport = createConnectTransport({ baseUrl: platform.httpUrl, httpVersion: "2", useBinaryFormat: true });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it("IngestService: Publish and PublishBatch, errors with their code and BadRequest", async () => {
    const ingest = createClient(IngestService, transport);
    const { receipt } = await ingest.publish({ event: person("Lee") });
    expect(receipt!.dataschema).toBe("meshstream:schema/MySource%3AnewPerson/1");
    const { results } = await ingest.publishBatch({ events: [person("Lee"), person("Old", 140)] });
    expect(results.map((r) => r.result.case)).toEqual(["receipt", "error"]);
    const err = await failure(ingest.publish({ event: person("Old", 140) }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("#Identity.Age: invalid value 140 (out of bound <130)");
    expect(err.findDetails(BadRequestSchema)[0]!.fieldViolations.map((v) => v.field)).toEqual(["Age"]);
  });

  it("CatalogService: GetEventType, ListDataProducts, GetOpenApi", async () => {
    const catalog = createClient(CatalogService, transport);
    expect((await catalog.getEventType({ type })).eventType!.definition).toBe("#Identity");
    expect((await catalog.listDataProducts({})).dataProducts.map((p) => p.name)).toEqual(["people"]);
    expect((await catalog.getOpenApi({ subject: { case: "dataProduct", value: "people" } })).document).toHaveProperty("components.schemas.Identity");
    const err = await failure(catalog.getEventType({ type: "Nope" }));
    expect(err.code).toBe(Code.NotFound);
  });

  it("SubscribeService: Fetch, and a Subscribe stream over h2c that ends when the client aborts", async () => {
    const subscribe = createClient(SubscribeService, transport);
    const page = await subscribe.fetch({ filter: { types: [type] }, maxEvents: 100 });
    expect(page.deliveries.length).toBeGreaterThanOrEqual(2);
    const abort = new AbortController();
    const stream = subscribe.subscribe({ filter: { types: [type] }, start: { start: { case: "after", value: page.nextCursor } } }, { signal: abort.signal });
    const ingest = createClient(IngestService, transport);
    const { receipt } = await ingest.publish({ event: person("Streamed") });
    for await (const { delivery } of stream) {
      expect(delivery!.event!.id).toBe(receipt!.id);
      abort.abort();
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(platform.channel.stats().subscriptions).toBe(0);
  });

  it("SubscriptionService: a durable subscription created, consumed over h2c (bidi) with acknowledgements that hold, dead letters listed", async () => {
    const subscriptions = createClient(SubscriptionService, transport);
    const { subscription } = await subscriptions.createSubscription({ subscription: { name: "connect-people", filter: { types: [type] }, start: { start: { case: "earliest", value: true } } } });
    expect(subscription!.dataProducts).toEqual(["people"]);
    expect((await subscriptions.listSubscriptions({})).subscriptions.map((s) => s.name)).toContain("connect-people");
    const stored = (await createClient(SubscribeService, transport).fetch({ filter: { types: [type] }, maxEvents: 1000 })).deliveries.map((d) => d.event!.id);

    /** One consumer: acknowledges what it gets until `enough` says stop, then half-closes: the platform applies those acknowledgements and ends the stream. */
    const consume = async (enough: (ids: string[]) => boolean): Promise<{ ids: string[]; counts: number[] }> => {
      const acks: ConsumeRequest[] = [];
      let wake: (() => void) | undefined;
      let last = false;
      async function* requests(): AsyncIterable<ConsumeRequest> {
        yield create(ConsumeRequestSchema, { subscription: "connect-people", maxOutstanding: 100 });
        for (;;) {
          const next = acks.shift();
          if (next) yield next;
          else if (last) return;
          else await new Promise<void>((r) => (wake = r));
        }
      }
      const got = { ids: [] as string[], counts: [] as number[] };
      for await (const { events } of subscriptions.consume(requests())) {
        got.ids.push(...events.map((e) => e.delivery!.event!.id));
        got.counts.push(...events.map((e) => e.deliveryCount));
        acks.push(create(ConsumeRequestSchema, { ackIds: events.map((e) => e.ackId) }));
        last = enough(got.ids);
        wake?.();
      }
      return got;
    };
    const first = await consume((ids) => ids.length >= stored.length);
    expect(first.ids).toEqual(stored);
    expect(first.counts.every((n) => n === 1)).toBe(true);
    // Acknowledged over Connect: a second consumer gets only what is new, nothing redelivered.
    const later = consume((ids) => ids.length >= 1);
    const { receipt } = await createClient(IngestService, transport).publish({ event: person("Later") });
    expect(await later).toEqual({ ids: [receipt!.id], counts: [1] });

    expect((await subscriptions.listDeadLetters({ subscription: "connect-people" })).deadLetters).toEqual([]);
    expect((await failure(subscriptions.getSubscription({ name: "nope" }))).code).toBe(Code.NotFound);
    await subscriptions.deleteSubscription({ name: "connect-people" });
  });

  it("gRPC-Web over HTTP/1.1, as browsers speak it", async () => {
    const web = createGrpcWebTransport({ baseUrl: platform.httpUrl, httpVersion: "1.1" });
    expect((await createClient(CatalogService, web).getEventType({ type })).eventType!.dataProduct).toBe("people");
  });
});
