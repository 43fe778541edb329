import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code as ConnectCode, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { status as Code, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { IngestService, SubscriptionService, type ReceivedEvent } from "@meshstream/proto";
import { DurableConsumer } from "../harness/durable-consumer";
import { bearer, TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { makeSigningKey, signToken, writeJwks } from "../harness/jwt";
import { tempDir } from "../harness/temp";

// hr: owners group:hr-team, producers hr-app, consumers group:analytics; its type keeps refused events (deadLetter).
// vault: no access set, administrators only.
const products: Record<string, Record<string, string>> = {
  hr: {
    "product.cue": `product: {name: "hr", owner: "hr-team", source: "/hr"}
access: {owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics"]}
types: "hr.person.hired": {definition: "#Person", schema: "person.cue", deadLetter: true}
types: "hr.person.left": {definition: "#Person", schema: "person.cue"}
`,
    "person.cue": "#Person: {name: string}\n",
  },
  vault: {
    "product.cue": `product: {name: "vault", owner: "security"}
types: "vault.secret.kept": {definition: "#Secret", schema: "secret.cue"}
`,
    "secret.cue": "#Secret: {note: string}\n",
  },
};

const issuer = "https://idp.test";
const audience = "meshstream";
const hired = (name: unknown) => ({ type: "hr.person.hired", payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ name })) } });

describe("durable subscriptions and the rejected stream under access control (JWT)", () => {
  let platform: InProcessPlatform;
  let client: TestClient;
  const as: Record<string, Metadata> = {};
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (err: ServiceError) => `${Code[err.code]}: ${err.details}`,
    );
  const call = <M extends keyof typeof SubscriptionService.method>(who: string, method: M, input: object) =>
    client.unary(SubscriptionService.method[method] as never, input as never, as[who]) as Promise<never>;

  beforeAll(async () => {
    const dir = tempDir("durable-access");
    const schemas = join(dir, "schemas");
    for (const [name, files] of Object.entries(products)) {
      mkdirSync(join(schemas, name), { recursive: true });
      for (const [file, text] of Object.entries(files)) writeFileSync(join(schemas, name, file), text);
    }
    const key = await makeSigningKey("k1");
    writeJwks(join(dir, "jwks.json"), [key]);
    platform = await startInProcessPlatform({
      MESHSTREAM_SCHEMAS_DIR: schemas,
      MESHSTREAM_AUTH: "jwt",
      MESHSTREAM_JWKS: join(dir, "jwks.json"),
      MESHSTREAM_JWT_ISSUER: issuer,
      MESHSTREAM_JWT_AUDIENCE: audience,
      MESHSTREAM_ADMINS: "root",
    });
    client = new TestClient(platform.address);
    const people: [string, string[]][] = [
      ["alice", ["hr-team"]],
      ["bob", ["analytics"]],
      ["carol", []],
      ["hr-app", []],
      ["root", []],
    ];
    for (const [sub, groups] of people) as[sub] = bearer(await signToken(key, { sub, groups }, { issuer, audience }));
  });
  afterAll(async () => {
    client?.close();
    await platform?.close();
  });

  it("creating a subscription needs the consumer role on what its filter reads", async () => {
    const create = (who: string, name: string, filter: object) => failure(call(who, "createSubscription", { subscription: { name, filter, start: { start: { case: "earliest", value: true } } } }));
    expect(await create("carol", "c1", { types: ["hr.person.hired"] })).toMatch(/^PERMISSION_DENIED: carol may not read data product hr/);
    expect(await create("hr-app", "c2", { types: ["hr.person.hired"] })).toMatch(/^PERMISSION_DENIED: hr-app may not read data product hr/);
    expect(await create("bob", "c3", { types: ["vault.secret.kept"] })).toMatch(/^PERMISSION_DENIED: bob may not read data product vault/);
    expect(await create("carol", "c4", {})).toMatch(/^PERMISSION_DENIED: carol may read no data product/);
    expect(await create("bob", "bob-hr", { types: ["hr.person.hired"] })).toBe("ok");
    // With no type named, only what the caller may read.
    const all = (await call("bob", "createSubscription", { subscription: { name: "bob-all" } })) as { subscription: { dataProducts: string[] } };
    expect(all.subscription.dataProducts).toEqual(["hr"]);
  });

  it("every call on a subscription needs the consumer role on each product it reads", async () => {
    for (const who of ["carol", "hr-app"]) {
      expect(await failure(call(who, "getSubscription", { name: "bob-hr" }))).toMatch(/^PERMISSION_DENIED/);
      expect(await failure(call(who, "deleteSubscription", { name: "bob-hr" }))).toMatch(/^PERMISSION_DENIED/);
      expect(await failure(call(who, "listDeadLetters", { subscription: "bob-hr" }))).toMatch(/^PERMISSION_DENIED/);
      expect(await failure(call(who, "redrive", { subscription: "bob-hr", all: true }))).toMatch(/^PERMISSION_DENIED/);
      const consumer = new DurableConsumer(client, "bob-hr", 10, () => "ack", as[who]);
      expect(await consumer.ended).toMatchObject({ code: Code.PERMISSION_DENIED });
      const listed = (await call(who, "listSubscriptions", {})) as { subscriptions: { name: string }[] };
      expect(listed.subscriptions.map((s) => s.name)).toEqual([]);
    }
    const listed = (await call("bob", "listSubscriptions", {})) as { subscriptions: { name: string }[] };
    expect(listed.subscriptions.map((s) => s.name)).toEqual(["bob-all", "bob-hr"]);
    expect(await failure(call("root", "getSubscription", { name: "bob-hr" }))).toBe("ok");
  });

  it("over HTTP (Connect) too: no token is refused, a caller without the role is denied, the consumer is served", async () => {
    const connect = (who?: string) =>
      createClient(
        SubscriptionService,
        createConnectTransport({
          baseUrl: platform.httpUrl,
          httpVersion: "1.1",
          interceptors: who ? [(next) => (req) => (req.header.set("authorization", as[who]!.get("authorization")[0] as string), next(req))] : [],
        }),
      );
    const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (err: unknown) => ConnectError.from(err).code);
    expect(await codeOf(connect().getSubscription({ name: "bob-hr" }))).toBe(ConnectCode.Unauthenticated);
    expect(await codeOf(connect("carol").getSubscription({ name: "bob-hr" }))).toBe(ConnectCode.PermissionDenied);
    expect(await codeOf(connect("carol").createSubscription({ subscription: { name: "c5", filter: { types: ["hr.person.hired"] } } }))).toBe(ConnectCode.PermissionDenied);
    expect((await connect("bob").getSubscription({ name: "bob-hr" })).subscription!.dataProducts).toEqual(["hr"]);
  });

  it("keeps a refused event of a deadLetter type in the product's rejected stream, for its owners only, never delivered to subscribers", async () => {
    const publish = async (events: object[]) => (await client.unary(IngestService.method.publishBatch, { events: events as never }, as["hr-app"])).results.map((r) => r.result.case);
    expect(await publish([hired(42), hired("Ann"), { ...hired(7), type: "hr.person.left" }])).toEqual(["error", "receipt", "error"]);
    const rejected = (who: string, dataProduct = "hr") => call(who, "fetchRejected", { dataProduct }) as Promise<{ events: { event: { type: string; textData?: string }; violations: { field: string; description: string }[] }[] }>;
    for (const who of ["bob", "hr-app", "carol"]) expect(await failure(rejected(who))).toMatch(new RegExp(`^PERMISSION_DENIED: ${who} may not \\w+ data product hr: the owner role is missing`));
    expect(await failure(rejected("alice", "nope"))).toMatch(/^NOT_FOUND/);
    expect(await failure(rejected("alice", ""))).toMatch(/^INVALID_ARGUMENT: data_product is required/);
    for (const who of ["alice", "root"]) {
      const page = await rejected(who);
      // Only the type that asks for it keeps its refused events.
      expect(page.events).toHaveLength(1);
      expect(page.events[0]!.event.type).toBe("hr.person.hired");
      expect(page.events[0]!.violations).toEqual([expect.objectContaining({ field: "name" })]);
    }
    // Bob's subscription from the earliest gets the one valid event, not the refused one.
    const got: ReceivedEvent[] = [];
    const consumer = new DurableConsumer(client, "bob-hr", 10, (r) => (got.push(r), "ack"), as.bob);
    const deadline = Date.now() + 10_000;
    while (got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    consumer.leave();
    expect(got.map((r) => JSON.parse(Buffer.from(r.delivery!.event!.data.value as Uint8Array).toString()))).toEqual([{ name: "Ann" }]);
  });
});
