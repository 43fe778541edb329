import { trustedCaller } from "@meshstream/access";
import { CallError, type CallContext } from "@meshstream/grpc";
import { HttpServer } from "./http-server";
import type { IncomingCall } from "./call-context";
import type { Services } from "./services";

describe("HttpServer's authentication hook (the access seam)", () => {
  const seen: IncomingCall[] = [];
  const contexts: CallContext[] = [];
  let server: HttpServer;
  let url: string;

  beforeAll(async () => {
    const catalog = {
      async getEventType(req: { type: string }, ctx: CallContext) {
        contexts.push(ctx);
        return { eventType: { type: req.type, dataProduct: "p" } };
      },
    };
    server = new HttpServer({ ingest: {}, subscribe: {}, subscriptions: {}, catalog } as unknown as Services, {
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1024,
      corsOrigins: [],
      shutdownGraceMs: 1000,
      authenticate: (call) => {
        seen.push(call);
        if (call.headers.get("authorization") !== "Bearer ok") throw new CallError("resource_exhausted", "refused by the hook");
        return trustedCaller("hook-caller");
      },
    });
    await server.listen();
    url = `http://${server.address}`;
  });
  afterAll(() => server.close());

  it("runs before every route, REST and Connect alike, and its refusal is the answer", async () => {
    const rest = await fetch(`${url}/catalog/types/a`);
    expect(rest.status).toBe(429);
    expect(await rest.json()).toMatchObject({ type: "urn:meshstream:problem:resource-exhausted", detail: "refused by the hook" });
    const connect = await fetch(`${url}/meshstream.v1.CatalogService/GetEventType`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"type":"a"}' });
    expect(connect.status).toBe(429);
    expect(contexts).toHaveLength(0);
    expect(seen.map((c) => [c.method, c.url])).toEqual([
      ["GET", "/catalog/types/a"],
      ["POST", "/meshstream.v1.CatalogService/GetEventType"],
    ]);
  });

  it("lets the request through to the service, with the caller it found, the headers and the address in its context", async () => {
    const ok = { authorization: "Bearer ok" };
    expect((await fetch(`${url}/catalog/types/a`, { headers: ok })).status).toBe(200);
    const connect = await fetch(`${url}/meshstream.v1.CatalogService/GetEventType`, { method: "POST", headers: { ...ok, "content-type": "application/json" }, body: '{"type":"b"}' });
    expect(await connect.json()).toEqual({ eventType: { type: "b", dataProduct: "p" } });
    expect(contexts.map((c) => [c.method, c.caller.name, c.headers.get("authorization"), /^127\.0\.0\.1:\d+$/.test(c.peer)])).toEqual([
      ["meshstream.v1.CatalogService/GetEventType", "hook-caller", "Bearer ok", true],
      ["meshstream.v1.CatalogService/GetEventType", "hook-caller", "Bearer ok", true],
    ]);
  });

  it("answers UNIMPLEMENTED (501) for a method the service object lacks", async () => {
    const r = await fetch(`${url}/catalog/products`, { headers: { authorization: "Bearer ok" } });
    expect(r.status).toBe(501);
    expect(await r.json()).toMatchObject({ detail: "meshstream.v1.CatalogService/ListDataProducts is not implemented yet" });
  });
});
