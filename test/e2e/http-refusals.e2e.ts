import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";

const type = "MySource:newPerson";
const good = JSON.stringify({ first: "John", Last: "Doe", Age: 40 });

interface Answer {
  status: number;
  type: string;
  body: { type?: string; title?: string; status?: number; detail?: string; violations?: { field: string; description: string }[] } & Record<string, unknown>;
}

describe("HTTP refusals: a status, a problem document (RFC 9457), and the server goes on", () => {
  let platform: InProcessPlatform;

  beforeAll(async () => {
    platform = await startInProcessPlatform({ MESHSTREAM_HTTP_CORS_ORIGINS: "https://app.example.com" });
  });
  afterAll(async () => {
    await platform?.close();
  });

  async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
    const r = await fetch(`${platform.httpUrl}${path}`, { method, headers, body });
    const text = await r.text();
    return { status: r.status, type: r.headers.get("content-type") ?? "", body: text ? (JSON.parse(text) as Answer["body"]) : {} };
  }
  const post = (path: string, contentType: string | undefined, body: string | Buffer, headers: Record<string, string> = {}) =>
    send("POST", path, { ...(contentType ? { "content-type": contentType } : {}), ...headers }, body);

  const expectProblem = (a: Answer, status: number, kind: string, detail: RegExp) => {
    expect(a.type).toMatch(/^application\/problem\+json/);
    expect(a.body).toMatchObject({ type: `urn:meshstream:problem:${kind}`, status });
    expect(a.body.detail).toMatch(detail);
    expect(a.status).toBe(status);
  };

  it("400 for invalid data, with the violations", async () => {
    const a = await post(`/events/${type}`, "application/json", JSON.stringify({ first: "john", Last: "Doe" }));
    expectProblem(a, 400, "invalid-argument", /#Identity.first: invalid value "john" \(out of bound =~"\[A-Z\]\.\*"\)/);
    expect(a.body.violations).toEqual([{ field: "first", description: a.body.detail }]);
  });

  it.each([
    ["structured mode", "application/cloudevents+json", `{"type":"${type}","data":`, /^malformed JSON/],
    ["batch mode", "application/cloudevents-batch+json", "[{", /^malformed JSON/],
    ["binary mode (the data itself, as on gRPC)", "application/json", "{first:", /invalid JSON/],
  ])("400 for a malformed JSON body in %s", async (_mode, contentType, body, detail) => {
    expectProblem(await post("/events", contentType, body, { "ce-type": type }), 400, "invalid-argument", detail);
  });

  it.each([
    ["binary mode without ce-type", "/events", "application/json", good, {}, /event type is required \(ce-type\)/],
    ["a structured event that is not an object", "/events", "application/cloudevents+json", "[]", {}, /must be a JSON object/],
    ["a batch that is not an array", "/events", "application/cloudevents-batch+json", "{}", {}, /must be a JSON array/],
    ["specversion 0.3", "/events", "application/cloudevents+json", JSON.stringify({ specversion: "0.3", type, data: {} }), {}, /specversion 0.3 is not supported/],
    ["a time that is not RFC 3339", `/events/${type}`, "application/json", good, { "ce-time": "noon" }, /time noon is not an RFC 3339 timestamp/],
    ["a bad extension name", `/events/${type}`, "application/json", good, { "ce-Under_Score": "x" }, /extension attribute names/],
    ["an empty body", `/events/${type}`, "application/json", "", {}, /no data/],
    ["a ce-type that differs from the path", `/events/${type}`, "application/json", good, { "ce-type": "Other" }, /differs from the type in the path/],
  ])("400 for %s", async (_what, path, contentType, body, headers, detail) => {
    expectProblem(await post(path, contentType, body, headers), 400, "invalid-argument", detail);
  });

  it("404 for an unknown event type, on each route that names one", async () => {
    expectProblem(await post("/events/Nope", "application/json", good), 404, "not-found", /event type Nope not found/);
    expectProblem(await send("GET", "/events?type=Nope", { accept: "text/event-stream" }), 404, "not-found", /Nope/);
    expectProblem(await send("GET", "/events?type=Nope"), 404, "not-found", /Nope/);
    expectProblem(await send("GET", "/catalog/types/Nope"), 404, "not-found", /event type Nope not found/);
    expectProblem(await send("GET", "/openapi/nope"), 404, "not-found", /nope/);
  });

  it("404 for a route that does not exist", async () => {
    expectProblem(await send("GET", "/nowhere"), 404, "no-route", /no route for GET \/nowhere/);
    expectProblem(await send("DELETE", "/events"), 404, "no-route", /DELETE \/events/);
  });

  it("413 for a 10 MB body, then serves the next request", async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, "a");
    expectProblem(await post(`/events/${type}`, "application/json", big), 413, "payload-too-large", /larger than the limit of 4194304 bytes/);
    expect((await post(`/events/${type}`, "application/json", good)).status).toBe(202);
  });

  it.each([
    ["text/plain on POST /events", "/events", "text/plain", /content type text\/plain is not accepted here/],
    ["curl's default form encoding on POST /events/{type}", `/events/${type}`, "application/x-www-form-urlencoded", /application\/x-www-form-urlencoded is not accepted here: send the event data as application\/json/],
    ["no content type", "/events", undefined, /the request has no content type/],
    ["another CloudEvents format", "/events", "application/cloudevents+avro", /JSON event format/],
  ])("415 for %s", async (_what, path, contentType, detail) => {
    // Bytes, so that fetch adds no content type of its own.
    expectProblem(await post(path, contentType, Buffer.from(good)), 415, "unsupported-media-type", detail);
  });

  it("415 for a structured event whose data is not JSON", async () => {
    const body = JSON.stringify({ type, datacontenttype: "text/plain", data: "hello" });
    expectProblem(await post("/events", "application/cloudevents+json", body), 415, "unsupported-media-type", /text\/plain.*JSON event data/);
  });

  it("406 for a GET /events that accepts neither an event stream nor JSON", async () => {
    expectProblem(await send("GET", `/events?type=${type}`, { accept: "text/html" }), 406, "not-acceptable", /text\/event-stream.*application\/json/);
  });

  it("400 for an unknown query parameter, a bad start, a bad wait or a position the platform did not give", async () => {
    expectProblem(await send("GET", `/events?typ=${type}`), 400, "invalid-argument", /unknown query parameter: typ/);
    expectProblem(await send("GET", `/events?type=${type}&start=yesterday`, { accept: "text/event-stream" }), 400, "invalid-argument", /start must be/);
    expectProblem(await send("GET", `/events?type=${type}&wait=soon`), 400, "invalid-argument", /wait must be a duration/);
    expectProblem(await send("GET", `/events?type=${type}`, { accept: "text/event-stream", "last-event-id": "bogus" }), 400, "invalid-argument", /invalid position/);
  });

  it("a batch answers 207 with each event's own result when some are refused", async () => {
    const batch = [{ type, data: { first: "Ann", Last: "Lee" } }, { type, data: { first: "ann", Last: "Lee" } }, { type: "Nope", data: {} }, { data: {} }];
    const a = await post("/events", "application/cloudevents-batch+json", JSON.stringify(batch));
    expect(a.status).toBe(207);
    const results = a.body.results as { status: number; receipt?: { id: string }; problem?: { type: string; detail: string } }[];
    expect(results.map((r) => r.status)).toEqual([202, 400, 404, 400]);
    expect(results[0]!.receipt!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(results[1]!.problem).toMatchObject({ type: "urn:meshstream:problem:invalid-argument", detail: expect.stringMatching(/#Identity.first/) });
    expect(results[2]!.problem!.detail).toMatch(/event type Nope not found/);
    expect(results[3]!.problem!.detail).toMatch(/event type is required \(\[3\]\.type\)/);
  });

  it("Connect answers its own JSON errors, with the gRPC codes", async () => {
    const a = await post("/meshstream.v1.IngestService/Publish", "application/json", JSON.stringify({ event: { type: "Nope", data: {} } }));
    expect(a.status).toBe(404);
    expect(a.body).toEqual({ code: "not_found", message: "event type Nope not found" });
    expect((await post("/meshstream.v1.IngestService/Publish", "text/plain", "{}")).status).toBe(415);
  });

  it("CORS: the configured origin is allowed (preflight and response), another is not", async () => {
    const preflight = await fetch(`${platform.httpUrl}/events/${type}`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type, ce-source" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/ce-source/);
    const other = await fetch(`${platform.httpUrl}/openapi`, { headers: { origin: "https://evil.example.com" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = await fetch(`${platform.httpUrl}/openapi`, { headers: { origin: "https://app.example.com" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("503 when the channel cannot store the event; nothing is acknowledged (last: it closes the channel)", async () => {
    await platform.channel.close();
    expectProblem(await post(`/events/${type}`, "application/json", good), 503, "unavailable", /closed/);
  });
});
