import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, CatalogService, IngestService, SubscribeService } from "@meshstream/proto";
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

  it("gRPC-Web over HTTP/1.1, as browsers speak it", async () => {
    const web = createGrpcWebTransport({ baseUrl: platform.httpUrl, httpVersion: "1.1" });
    expect((await createClient(CatalogService, web).getEventType({ type })).eventType!.dataProduct).toBe("people");
  });
});
