import { startPlatform, type RunningPlatform } from "../harness/platform";
import { run } from "../harness/run";
import { toolPath } from "../harness/tool-paths";

/** curl as a user types it; the status and content type come back on a last line of their own. */
async function curl(...args: string[]): Promise<{ status: number; type: string; body: string }> {
  const r = await run(toolPath("CURL"), ["-sS", "--max-time", "20", "-w", "\n%{http_code} %{content_type}", ...args], { timeoutMs: 30_000 });
  if (r.code !== 0 && r.code !== 28) throw new Error(`curl exited with ${r.code}: ${r.stderr}`);
  const at = r.stdout.lastIndexOf("\n");
  const [status, type] = r.stdout.slice(at + 1).split(" ");
  return { status: Number(status), type: type ?? "", body: r.stdout.slice(0, at) };
}

const person = (age: number) => JSON.stringify({ first: "John", Last: "Doe", Age: age });

describe("the seed's scenario over HTTP, with curl", () => {
  let platform: RunningPlatform;
  let url: string;

  beforeAll(async () => {
    platform = await startPlatform();
    url = platform.httpUrl;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("accepts the good event: 202 and a receipt once it is stored", async () => {
    const r = await curl("-XPOST", "-H", "content-type: application/json", "-d", person(40), `${url}/events/MySource:newPerson`);
    expect(r.status).toBe(202);
    const receipt = JSON.parse(r.body) as { id: string; position: string; dataschema: string };
    expect(receipt.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(receipt.position).not.toBe("");
    expect(receipt.dataschema).toBe("meshstream:schema/MySource%3AnewPerson/1");
  });

  it("refuses Age 140: 400, a problem document with the seed's message and a violation on Age", async () => {
    const r = await curl("-XPOST", "-H", "content-type: application/json", "-d", person(140), `${url}/events/MySource:newPerson`);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(r.body)).toEqual({
      type: "urn:meshstream:problem:invalid-argument",
      title: "Bad Request",
      status: 400,
      detail: "#Identity.Age: invalid value 140 (out of bound <130)",
      violations: [{ field: "Age", description: "#Identity.Age: invalid value 140 (out of bound <130)" }],
    });
  });

  it("serves the OpenAPI document of every product at /openapi, as the seed did", async () => {
    const r = await curl(`${url}/openapi`);
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.body) as { openapi: string; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    expect(doc.openapi).toBe("3.0.0");
    expect(doc.components.schemas.Identity!.properties.Age).toEqual({ description: "Age of the person", type: "number", maximum: 130, exclusiveMaximum: true });
    expect(JSON.parse((await curl(`${url}/openapi/people`)).body)).toEqual(doc);
  });

  it("takes binary mode with only ce-type, over HTTP/1.1 and h2c", async () => {
    for (const flag of ["--http1.1", "--http2-prior-knowledge"]) {
      const r = await curl(flag, "-XPOST", "-H", "content-type: application/json", "-H", "ce-type: MySource:newPerson", "-d", person(41), `${url}/events`);
      expect(r.status).toBe(202);
    }
  });

  it("pulls a page and streams events with Server-Sent Events", async () => {
    const page = await curl("-H", "accept: application/json", `${url}/events?type=MySource:newPerson&max=2`);
    expect(page.status).toBe(200);
    const { deliveries, nextCursor } = JSON.parse(page.body) as { deliveries: { position: string; event: { data: unknown } }[]; nextCursor: string };
    expect(deliveries.map((d) => d.event.data)).toEqual([JSON.parse(person(40)), JSON.parse(person(41))]);
    expect(nextCursor).toBe(deliveries[1]!.position);
    // Three events are stored: the stream from the earliest shows all three, then curl's time runs out.
    const sse = await curl("-N", "--max-time", "3", "-H", "accept: text/event-stream", `${url}/events?type=MySource:newPerson&start=earliest`);
    expect(sse.status).toBe(200);
    expect(sse.type).toBe("text/event-stream");
    expect(sse.body.match(/^event: MySource:newPerson$/gm)).toHaveLength(3);
    expect(sse.body).toContain(`id: ${deliveries[0]!.position}\n`);
  });

  it("speaks the Connect protocol's JSON to curl, for each service", async () => {
    const connect = (method: string, body: unknown) => curl("-XPOST", "-H", "content-type: application/json", "-d", JSON.stringify(body), `${url}/meshstream.v1.${method}`);
    const published = await connect("IngestService/Publish", { event: { type: "MySource:newPerson", data: { first: "Ann", Last: "Lee" } } });
    expect(published.status).toBe(200);
    expect((JSON.parse(published.body) as { receipt: { id: string } }).receipt.id).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await connect("IngestService/Publish", { event: { type: "MySource:newPerson", data: { first: "Ann", Last: "Lee", Age: 140 } } });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "invalid_argument", message: "#Identity.Age: invalid value 140 (out of bound <130)", details: [{ type: "google.rpc.BadRequest" }] });
    const type = await connect("CatalogService/GetEventType", { type: "MySource:newPerson" });
    expect(JSON.parse(type.body)).toMatchObject({ eventType: { type: "MySource:newPerson", dataProduct: "people" } });
    const fetched = await connect("SubscribeService/Fetch", { filter: { types: ["MySource:newPerson"] }, maxEvents: 10 });
    expect((JSON.parse(fetched.body) as { deliveries: unknown[] }).deliveries).toHaveLength(4);
  });
});
