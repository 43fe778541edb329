import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { CatalogService, descriptorSetPath, IngestService, SubscribeService, type Delivery, type SubscribeResponse } from "@meshstream/proto";
import { secureCredentials, TestClient } from "../harness/grpc-client";
import { makeSigningKey, signToken, writeJwks, type SigningKey } from "../harness/jwt";
import { makeCa, servedFingerprint, type CertFiles, type TestCa } from "../harness/pki";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { run } from "../harness/run";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

// Three products: hr (owners group:hr-team, producers hr-app, consumers group:analytics),
// sales (producers sales-app, consumers "*"), vault (no access: administrators only).
const products: Record<string, Record<string, string>> = {
  hr: {
    "product.cue": `product: {name: "hr", owner: "hr-team", source: "/hr"}
access: {owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics"]}
types: "hr.person.hired": {definition: "#Person", schema: "person.cue"}
`,
    "person.cue": "#Person: {name: string}\n",
  },
  sales: {
    "product.cue": `product: {name: "sales", owner: "sales-team", source: "/sales"}
access: {owners: ["group:sales-team"], producers: ["sales-app"], consumers: ["*"]}
types: "sales.order.placed": {definition: "#Order", schema: "order.cue"}
`,
    "order.cue": "#Order: {id: string}\n",
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
const person = { type: "hr.person.hired", payload: { case: "dataJson" as const, value: Buffer.from('{"name":"Ann"}') } };
const order = (source = "") => ({ type: "sales.order.placed", source, payload: { case: "dataJson" as const, value: Buffer.from('{"id":"o-1"}') } });
const secret = { type: "vault.secret.kept", payload: { case: "dataJson" as const, value: Buffer.from('{"note":"x"}') } };

describe("access control: TLS with client certificates and JWT, one platform, every role and service", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshstream-access-"));
  const tls = { cert: join(dir, "tls.pem"), key: join(dir, "tls.key") };
  const jwks = join(dir, "jwks.json");
  let ca: TestCa;
  let clientCert: CertFiles;
  let hrAppCert: CertFiles;
  let k1: SigningKey;
  let k2: SigningKey;
  let platform: RunningPlatform;
  let env: Record<string, string>;
  const clients: TestClient[] = [];
  const tokens: string[] = [];

  const token = async (sub: string, groups: string[] = [], options: { key?: SigningKey; issuer?: string; audience?: string; expiresIn?: string } = {}) => {
    const t = await signToken(options.key ?? k1, { sub, groups }, { issuer: options.issuer ?? issuer, audience: options.audience ?? audience, expiresIn: options.expiresIn });
    tokens.push(t);
    return t;
  };
  // The server certificate's DNS name (it holds 127.0.0.1 too): grpc-js would send the IP address as
  // TLS's server name, which Node warns of (DEP0123).
  const byName = { "grpc.ssl_target_name_override": "localhost" };
  /** A grpc-js client over TLS with a client certificate (CN test-client unless told) and, when given, a bearer token. */
  const clientWith = (bearer?: string, cert: CertFiles = clientCert) => {
    const c = new TestClient(platform.address, byName, secureCredentials(readFileSync(ca.cert), { cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, bearer));
    clients.push(c);
    return c;
  };
  const as = async (sub: string, groups: string[] = []) => clientWith(await token(sub, groups));
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error("the call succeeded");
      },
      (err: ServiceError) => ({ code: Code[err.code], details: err.details }),
    );
  const grpcurl = (args: string[], method: string, body: unknown) =>
    run(toolPath("GRPCURL"), [...args, "-d", JSON.stringify(body), platform.address, method], { timeoutMs: 20_000 });
  const python = (args: { cert?: CertFiles; token?: string; method: string; max?: number; requests: unknown[] }) =>
    run(
      toolPath("PYTHON"),
      [
        join(repoRoot, "test/harness/python/access_client.py"),
        platform.address,
        descriptorSetPath,
        ca.cert,
        args.cert?.cert ?? "-",
        args.cert?.key ?? "-",
        args.token ?? "-",
        args.method,
        String(args.max ?? 0),
        ...args.requests.map((r) => JSON.stringify(r)),
      ],
      { timeoutMs: 30_000, cwd: join(repoRoot, "test/harness/python") },
    ).then((r) => r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { response?: Record<string, unknown>; code?: string; details?: string }));

  let alice: TestClient; // owner of hr (group:hr-team)
  let bob: TestClient; // consumer of hr (group:analytics)
  let carol: TestClient; // any authenticated caller: a consumer of sales only
  let hrApp: TestClient; // producer of hr
  let root: TestClient; // administrator
  const published: Record<"hr" | "sales" | "salesFromHr" | "vault", { id: string; position: string }[]> = { hr: [], sales: [], salesFromHr: [], vault: [] };

  beforeAll(async () => {
    [ca, k1, k2] = await Promise.all([makeCa(dir, "ca"), makeSigningKey("k1"), makeSigningKey("k2")]);
    const server = await ca.server("server");
    copyFileSync(server.cert, tls.cert);
    copyFileSync(server.key, tls.key);
    [clientCert, hrAppCert] = await Promise.all([ca.client("test-client"), ca.client("hr-app")]);
    writeJwks(jwks, [k1]);
    const schemas = join(dir, "schemas");
    for (const [name, files] of Object.entries(products)) {
      mkdirSync(join(schemas, name), { recursive: true });
      for (const [file, text] of Object.entries(files)) writeFileSync(join(schemas, name, file), text);
    }
    platform = await startPlatform((env = {
      MESHSTREAM_SCHEMAS_DIR: schemas,
      MESHSTREAM_DATA_DIR: join(dir, "data"),
      MESHSTREAM_TLS_CERT: tls.cert,
      MESHSTREAM_TLS_KEY: tls.key,
      MESHSTREAM_TLS_CLIENT_CA: ca.cert,
      MESHSTREAM_AUTH: "jwt",
      MESHSTREAM_JWKS: jwks,
      MESHSTREAM_JWT_ISSUER: issuer,
      MESHSTREAM_JWT_AUDIENCE: audience,
      MESHSTREAM_ADMINS: "root",
    }), 60_000);
    [alice, bob, carol, hrApp, root] = await Promise.all([as("alice", ["hr-team"]), as("bob", ["analytics"]), as("carol"), as("hr-app"), as("root")]);
    const salesApp = await as("sales-app");
    const receipts = async (c: TestClient, events: unknown[]) =>
      (await c.unary(IngestService.method.publishBatch, { events: events as never })).results.map((r) => {
        if (r.result.case !== "receipt") throw new Error(`publish refused: ${JSON.stringify(r.result.value)}`);
        return { id: r.result.value.id, position: r.result.value.position };
      });
    published.hr = await receipts(hrApp, [person, person]);
    published.sales = await receipts(salesApp, [order()]);
    published.salesFromHr = await receipts(salesApp, [order("/hr")]);
    published.vault = await receipts(root, [secret]);
    // A CA, five certificates and a platform that compiles three products' schemas: slow on a busy machine.
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("authentication, on every service", () => {
    const calls: [string, (c: TestClient) => Promise<unknown>][] = [
      ["IngestService/Publish", (c) => c.unary(IngestService.method.publish, { event: person })],
      ["CatalogService/GetDataProduct", (c) => c.unary(CatalogService.method.getDataProduct, { name: "hr" })],
      ["CatalogService/GetOpenApi", (c) => c.unary(CatalogService.method.getOpenApi, { subject: { case: "dataProduct", value: "hr" } })],
      ["SubscribeService/Fetch", (c) => c.unary(SubscribeService.method.fetch, { filter: {} })],
      ["SubscribeService/Subscribe", (c) => readStream(c.serverStream(SubscribeService.method.subscribe, { filter: {} })).failure().then((e) => Promise.reject(e))],
    ];
    const cases: [string, () => Promise<TestClient>, RegExp][] = [
      ["no token", async () => clientWith(undefined), /^missing credentials: send the metadata 'authorization: Bearer <JWT>'$/],
      ["an expired token", async () => clientWith(await token("alice", ["hr-team"], { expiresIn: "-5m" })), /^token expired$/],
      ["a token for another audience", async () => clientWith(await token("alice", ["hr-team"], { audience: "billing" })), /^wrong audience/],
      ["a token from another issuer", async () => clientWith(await token("alice", ["hr-team"], { issuer: "https://evil.test" })), /^wrong issuer/],
      ["a token signed by an unknown key", async () => clientWith(await token("alice", ["hr-team"], { key: k2 })), /^unknown signing key/],
      ["a bearer that is not a JWT", async () => clientWith("not.a-jwt"), /^malformed token/],
    ];
    it.each(cases)("refuses %s with UNAUTHENTICATED saying why, on Ingest, Catalog and Subscribe", async (_what, make, message) => {
      const c = await make();
      for (const [method, call] of calls) {
        const err = await failure(call(c));
        expect({ method, ...err }).toEqual({ method, code: "UNAUTHENTICATED", details: expect.stringMatching(message) });
        for (const t of tokens) expect(err.details).not.toContain(t);
      }
    });

    it("refuses a call without a client certificate when the client CA is set, and keeps health open to it (grpcurl)", async () => {
      const bearer = await token("alice", ["hr-team"]);
      const noCert = await grpcurl(["-cacert", ca.cert, "-H", `authorization: Bearer ${bearer}`], "meshstream.v1.CatalogService/GetDataProduct", { name: "hr" });
      expect(noCert.stderr).toContain("Code: Unauthenticated");
      expect(noCert.stderr).toContain("a client certificate signed by the platform's client CA is required");
      const health = await grpcurl(["-cacert", ca.cert], "grpc.health.v1.Health/Check", {});
      expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
      const list = await run(toolPath("GRPCURL"), ["-cacert", ca.cert, platform.address, "list"], { timeoutMs: 20_000 });
      expect(list.stdout).toContain("meshstream.v1.IngestService");
    });

    it("grpcurl with -cacert, a client certificate and -H authorization: allowed, no token, expired", async () => {
      const tlsArgs = ["-cacert", ca.cert, "-cert", clientCert.cert, "-key", clientCert.key];
      const ok = await grpcurl([...tlsArgs, "-H", `authorization: Bearer ${await token("carol")}`], "meshstream.v1.CatalogService/GetDataProduct", { name: "hr" });
      expect(JSON.parse(ok.stdout)).toMatchObject({ dataProduct: { name: "hr", access: { owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics"] } } });
      const none = await grpcurl(tlsArgs, "meshstream.v1.IngestService/Publish", { event: { type: "hr.person.hired", data: { name: "Ann" } } });
      expect(none.stderr).toMatch(/Code: Unauthenticated\s+Message: missing credentials/);
      const expired = await grpcurl([...tlsArgs, "-H", `authorization: Bearer ${await token("hr-app", [], { expiresIn: "-1h" })}`], "meshstream.v1.IngestService/Publish", {
        event: { type: "hr.person.hired", data: { name: "Ann" } },
      });
      expect(expired.stderr).toMatch(/Code: Unauthenticated\s+Message: token expired/);
      const denied = await grpcurl([...tlsArgs, "-H", `authorization: Bearer ${await token("carol")}`], "meshstream.v1.IngestService/Publish", { event: { type: "hr.person.hired", data: { name: "Ann" } } });
      expect(denied.stderr).toMatch(/Code: PermissionDenied\s+Message: carol may not publish to data product hr: the producer role is missing/);
    });
  });

  describe("IngestService", () => {
    it.each<[string, () => TestClient, unknown, RegExp | null]>([
      ["the producer publishes to its product", () => hrApp, person, null],
      ["an owner publishes to its product", () => alice, person, null],
      ["an administrator publishes to a product without access", () => root, secret, null],
      ["the producer of hr publishes to sales", () => hrApp, order(), /^hr-app may not publish to data product sales: the producer role is missing \(access\.producers or access\.owners\)$/],
      ["a consumer publishes", () => bob, person, /^bob may not publish to data product hr: the producer role is missing/],
      ["anyone publishes to a product open to any reader", () => carol, order(), /^carol may not publish to data product sales/],
      ["an owner of hr publishes to a product without access", () => alice, secret, /^alice may not publish to data product vault: it has no access set, so only administrators may$/],
    ])("%s", async (_what, client, event, denied) => {
      const call = client().unary(IngestService.method.publish, { event: event as never });
      if (!denied) expect((await call).receipt?.id).toBeTruthy();
      else expect(await failure(call)).toEqual({ code: "PERMISSION_DENIED", details: expect.stringMatching(denied) });
    });

    it("takes a client certificate's CN as a principal: a caller with no role of its own publishes as hr-app", async () => {
      const bot = clientWith(await token("ci-bot"), hrAppCert);
      expect((await bot.unary(IngestService.method.publish, { event: person })).receipt?.id).toBeTruthy();
      expect((await failure(clientWith(await token("ci-bot")).unary(IngestService.method.publish, { event: person }))).code).toBe("PERMISSION_DENIED");
    });

    it("refuses each denied event of a batch on its own and stores the rest", async () => {
      const { results } = await hrApp.unary(IngestService.method.publishBatch, { events: [person, order(), person, secret] as never });
      expect(results.map((r) => (r.result.case === "receipt" ? "stored" : `${Code[r.result.value!.code]}: ${r.result.value!.message}`))).toEqual([
        "stored",
        "PERMISSION_DENIED: hr-app may not publish to data product sales: the producer role is missing (access.producers or access.owners)",
        "stored",
        "PERMISSION_DENIED: hr-app may not publish to data product vault: it has no access set, so only administrators may",
      ]);
    });

    it("Python grpcio (ssl_channel_credentials + access token call credentials): a stream goes on past a denied event", async () => {
      const lines = await python({
        cert: clientCert,
        token: await token("hr-app"),
        method: "meshstream.v1.IngestService/PublishStream",
        requests: [{ event: { type: "hr.person.hired", data: { name: "Py" } } }, { event: { type: "sales.order.placed", data: { id: "o" } } }, { event: { type: "hr.person.hired", data: { name: "Py" } } }],
      });
      expect(lines.at(-1)).toEqual({ code: "OK" });
      const results = lines.slice(0, -1).map((l) => l.response!.result as { receipt?: unknown; error?: { code: number; message: string } });
      expect(results.map((r) => (r.receipt ? "stored" : r.error!.message))).toEqual(["stored", "hr-app may not publish to data product sales: the producer role is missing (access.producers or access.owners)", "stored"]);
      expect(results[1]!.error!.code).toBe(Code.PERMISSION_DENIED);
      expect(await python({ cert: clientCert, method: "meshstream.v1.IngestService/Publish", requests: [{ event: { type: "hr.person.hired", data: { name: "Py" } } }] })).toEqual([
        { code: "UNAUTHENTICATED", details: "missing credentials: send the metadata 'authorization: Bearer <JWT>'" },
      ]);
    });
  });

  describe("SubscribeService", () => {
    const fetch = (c: TestClient, filter: object, cursor = "") => c.unary(SubscribeService.method.fetch, { filter, cursor, maxEvents: 1000 });
    const typesOf = (deliveries: readonly Delivery[]) => [...new Set(deliveries.map((d) => d.event!.type))].sort();

    it("lets a consumer read its product, by type and by prefix", async () => {
      const page = await fetch(bob, { types: ["hr.person.hired"] });
      expect(page.deliveries.length).toBeGreaterThanOrEqual(2);
      expect(typesOf((await fetch(bob, { typePrefixes: ["hr."] })).deliveries)).toEqual(["hr.person.hired"]);
    });

    it.each<[string, object, RegExp]>([
      ["a type", { types: ["hr.person.hired"] }, /^carol may not read data product hr: the consumer role is missing \(access\.consumers or access\.owners\)$/],
      ["a prefix", { typePrefixes: ["hr."] }, /^carol may not read data product hr/],
      ["a prefix that spans a readable and a forbidden product", { typePrefixes: ["sales.", "hr."] }, /^carol may not read data product hr/],
      ["a type of a product without access", { types: ["vault.secret.kept"] }, /^carol may not read data product vault: it has no access set/],
    ])("refuses a filter naming %s the caller may not read: Fetch and Subscribe", async (_what, filter, message) => {
      expect(await failure(fetch(carol, filter))).toEqual({ code: "PERMISSION_DENIED", details: expect.stringMatching(message) });
      const err = await readStream(carol.serverStream(SubscribeService.method.subscribe, { filter, start: { start: { case: "earliest", value: true } } })).failure();
      expect({ code: Code[err.code], details: err.details }).toEqual({ code: "PERMISSION_DENIED", details: expect.stringMatching(message) });
    });

    it("gives an empty filter only the products the caller may read", async () => {
      expect(typesOf((await fetch(carol, {})).deliveries)).toEqual(["sales.order.placed"]);
      expect(typesOf((await fetch(bob, {})).deliveries)).toEqual(["hr.person.hired", "sales.order.placed"]);
      expect(typesOf((await fetch(root, {})).deliveries)).toEqual(["hr.person.hired", "sales.order.placed", "vault.secret.kept"]);
      const sub = readStream<SubscribeResponse>(carol.serverStream(SubscribeService.method.subscribe, { filter: {}, start: { start: { case: "earliest", value: true } } }));
      try {
        const got = await sub.first(2);
        expect(got.map((r) => r.delivery!.event!.type)).toEqual(["sales.order.placed", "sales.order.placed"]);
      } finally {
        sub.cancel();
      }
    });

    describe("back doors, for a caller who may not read hr", () => {
      // A position names the partitions it stands in: one of a product the filter does not read is refused, whatever the filter.
      const refusal = { code: "INVALID_ARGUMENT", details: expect.stringMatching(/^invalid position: it names hr partition 0, which this filter does not read/) };

      it("Fetch with a cursor taken from hr is refused, reading nothing", async () => {
        const bobs = await fetch(bob, { types: ["hr.person.hired"] });
        expect(await failure(fetch(carol, {}, bobs.nextCursor))).toEqual(refusal);
        expect(await failure(fetch(carol, { types: ["sales.order.placed"] }, published.hr[0]!.position))).toEqual(refusal);
      });

      it("Subscribe replaying from a position of hr is refused, reading nothing", async () => {
        const sub = readStream<SubscribeResponse>(carol.serverStream(SubscribeService.method.subscribe, { filter: {}, start: { start: { case: "after", value: published.hr[0]!.position } } }));
        const err = await sub.failure();
        expect({ code: Code[err.code], details: err.details }).toEqual(refusal);
        expect(sub.items).toEqual([]);
      });

      it("Subscribe and Fetch filtering on hr's source read only the readable events that carry it", async () => {
        const page = await fetch(carol, { sources: ["/hr"] });
        expect(page.deliveries.map((d) => [d.event!.type, d.event!.source])).toEqual([["sales.order.placed", "/hr"]]);
        const sub = readStream<SubscribeResponse>(carol.serverStream(SubscribeService.method.subscribe, { filter: { sources: ["/hr"] }, start: { start: { case: "earliest", value: true } } }));
        try {
          const [first] = await sub.first(1);
          expect([first!.delivery!.event!.type, first!.delivery!.event!.id]).toEqual(["sales.order.placed", published.salesFromHr[0]!.id]);
        } finally {
          sub.cancel();
        }
      });

      it("the catalog, OpenAPI included, describes hr to any authenticated caller (discovery), and to no one else", async () => {
        const doc = await carol.unary(CatalogService.method.getOpenApi, { subject: { case: "dataProduct", value: "hr" } });
        expect(doc.document).toMatchObject({ openapi: "3.0.0", components: { schemas: { Person: expect.anything() } } });
        expect((await failure(clientWith().unary(CatalogService.method.getOpenApi, { subject: { case: "dataProduct", value: "hr" } }))).code).toBe("UNAUTHENTICATED");
        const watch = readStream(clientWith().serverStream(CatalogService.method.watchCatalog, {}));
        expect((await watch.failure()).code).toBe(Code.UNAUTHENTICATED);
      });

      it("Python grpcio: a forbidden type is refused, the empty filter reads only sales", async () => {
        const bearer = await token("carol");
        expect(await python({ cert: clientCert, token: bearer, method: "meshstream.v1.SubscribeService/Subscribe", max: 1, requests: [{ filter: { types: ["hr.person.hired"] }, start: { earliest: true } }] })).toEqual([
          { code: "PERMISSION_DENIED", details: "carol may not read data product hr: the consumer role is missing (access.consumers or access.owners)" },
        ]);
        const lines = await python({ cert: clientCert, token: bearer, method: "meshstream.v1.SubscribeService/Subscribe", max: 2, requests: [{ filter: {}, start: { earliest: true } }] });
        expect(lines.map((l) => (l.response ? ((l.response.delivery as { event: { type: string } }).event.type) : l.code))).toEqual(["sales.order.placed", "sales.order.placed", "OK"]);
      });
    });
  });

  describe("CatalogService changes", () => {
    const schemaV2 = { type: "hr.person.hired", cueSource: "#Person: {name: string, team?: string}\n" };

    it("lets only owners and administrators register a schema version, and audits both", async () => {
      expect(await failure(bob.unary(CatalogService.method.registerSchemaVersion, schemaV2))).toEqual({
        code: "PERMISSION_DENIED",
        details: "bob may not change data product hr: the owner role is missing (access.owners)",
      });
      expect(await alice.unary(CatalogService.method.registerSchemaVersion, schemaV2)).toMatchObject({ created: true, schemaVersion: { version: 2 } });
      const audit = platform.logs.map((l) => (JSON.parse(l) as { message?: Record<string, unknown> }).message).filter((m) => m?.msg === "audit");
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ principal: "bob", principals: ["bob", "group:analytics", "test-client"], method: "meshstream.v1.CatalogService/RegisterSchemaVersion", product: "hr", outcome: "denied" }),
          expect.objectContaining({ principal: "alice", method: "meshstream.v1.CatalogService/RegisterSchemaVersion", product: "hr", role: "owner", outcome: "ok" }),
          expect.objectContaining({ principal: "carol", method: "meshstream.v1.SubscribeService/Fetch", product: "hr", role: "consumer", outcome: "denied" }),
          expect.objectContaining({ principal: "unknown", method: "meshstream.v1.IngestService/Publish", outcome: "unauthenticated", reason: "token expired" }),
        ]),
      );
    });

    it("lets only owners change access, and the change applies to the next call at once", async () => {
      const newAccess = { owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics", "carol"] };
      expect(await failure(bob.unary(CatalogService.method.setDataProductAccess, { dataProduct: "hr", access: { ...newAccess, owners: ["bob"] } }))).toEqual({
        code: "PERMISSION_DENIED",
        details: "bob may not change data product hr: the owner role is missing (access.owners)",
      });
      expect(await failure(alice.unary(CatalogService.method.setDataProductAccess, { dataProduct: "sales", access: newAccess }))).toMatchObject({ code: "PERMISSION_DENIED" });
      expect(await failure(alice.unary(CatalogService.method.setDataProductAccess, { dataProduct: "hr", access: { owners: ["*"] } }))).toMatchObject({
        code: "INVALID_ARGUMENT",
        details: expect.stringMatching(/^access: owners\.0: invalid value "\*"/),
      });
      expect(await failure(fetch(carol, { types: ["hr.person.hired"] }))).toMatchObject({ code: "PERMISSION_DENIED" });
      expect((await alice.unary(CatalogService.method.setDataProductAccess, { dataProduct: "hr", access: newAccess })).dataProduct?.access).toMatchObject(newAccess);
      expect((await fetch(carol, { types: ["hr.person.hired"] })).deliveries.length).toBeGreaterThan(0);
      // Revoked while carol's subscription runs: it ends at the next event of hr, which it does not get.
      const live = readStream<SubscribeResponse>(carol.serverStream(SubscribeService.method.subscribe, { filter: { types: ["hr.person.hired"] } }));
      try {
        await live.ready;
        await hrApp.unary(IngestService.method.publish, { event: person });
        await live.first(1);
        await alice.unary(CatalogService.method.setDataProductAccess, { dataProduct: "hr", access: { ...newAccess, consumers: ["group:analytics"] } });
        await hrApp.unary(IngestService.method.publish, { event: person });
        const ended = await live.failure();
        expect({ code: Code[ended.code], details: ended.details }).toEqual({ code: "PERMISSION_DENIED", details: "carol may not read data product hr: the consumer role is missing (access.consumers or access.owners)" });
        expect(live.items).toHaveLength(1);
      } finally {
        live.cancel();
      }
    });

    it("lets only administrators create a data product; owners register types only in their own", async () => {
      expect(await failure(alice.unary(CatalogService.method.createDataProduct, { dataProduct: { name: "shop", owner: "x" } }))).toEqual({
        code: "PERMISSION_DENIED",
        details: "alice may not change data product shop: it has no access set, so only administrators may",
      });
      const created = await root.unary(CatalogService.method.createDataProduct, { dataProduct: { name: "shop", owner: "x", access: { owners: ["alice"] } } });
      expect(created.dataProduct?.access).toMatchObject({ owners: ["alice"], producers: [], consumers: [] });
      const type = (dataProduct: string) => ({ eventType: { type: `${dataProduct}.thing.done`, dataProduct, definition: "#Thing" } });
      expect((await alice.unary(CatalogService.method.registerEventType, type("shop"))).eventType?.type).toBe("shop.thing.done");
      expect(await failure(alice.unary(CatalogService.method.registerEventType, type("sales")))).toMatchObject({ code: "PERMISSION_DENIED", details: expect.stringMatching(/^alice may not change data product sales/) });
    });

    const fetch = (c: TestClient, filter: object) => c.unary(SubscribeService.method.fetch, { filter, maxEvents: 10 });
  });

  // The HTTP face authenticates with the same Authenticator and asks the same AccessControl:
  // the same refusals and grants, over TLS with the same certificate, CA and tokens.
  describe("HTTP (CloudEvents, SSE and pull, catalog, Connect), through the same access control", () => {
    /** curl over TLS with the test CA and a client certificate; the status and content type on a last line. */
    const curl = async (bearer: string | undefined, ...args: string[]) => {
      const r = await run(
        "curl",
        ["-sS", "--max-time", "10", "--cacert", ca.cert, "--cert", clientCert.cert, "--key", clientCert.key, ...(bearer ? ["-H", `authorization: Bearer ${bearer}`] : []), "-w", "\n%{http_code}", ...args],
        { timeoutMs: 20_000 },
      );
      if (r.code !== 0 && r.code !== 28) throw new Error(`curl exited with ${r.code}: ${r.stderr}`);
      const at = r.stdout.lastIndexOf("\n");
      return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
    };
    const url = (path: string) => `${platform.httpUrl}${path}`;
    const post = (type: string, body: unknown) => ["-XPOST", "-H", "content-type: application/json", "-d", JSON.stringify(body), url(`/events/${type}`)];

    it("serves over TLS only, and refuses a request without a token with 401 saying why (never echoing it)", async () => {
      expect(platform.httpUrl).toMatch(/^https:/);
      const plain = await run("curl", ["-sS", "--max-time", "5", platform.httpUrl.replace(/^https:/, "http:") + "/openapi"], { timeoutMs: 10_000 });
      expect(plain.stdout).not.toContain("openapi");
      for (const path of ["/openapi", "/catalog/products", "/events?type=sales.order.placed&max=1"]) {
        const r = await curl(undefined, "-H", "accept: application/json", url(path));
        expect({ path, status: r.status }).toEqual({ path, status: 401 });
        expect(JSON.parse(r.body)).toMatchObject({ detail: expect.stringMatching(/^missing credentials/) });
      }
      const expired = await token("alice", ["hr-team"], { expiresIn: "-5m" });
      const r = await curl(expired, url("/openapi/hr"));
      expect(r.status).toBe(401);
      expect(r.body).not.toContain(expired);
      // A valid token but no client certificate, while the client CA is set.
      const noCert = await run("curl", ["-sS", "--cacert", ca.cert, "-H", `authorization: Bearer ${await token("alice", ["hr-team"])}`, url("/openapi/hr")], { timeoutMs: 20_000 });
      expect(JSON.parse(noCert.stdout)).toMatchObject({ status: 401, detail: expect.stringMatching(/client certificate/) });
    });

    it("lets a producer publish its product's events and refuses another product's with 403 naming the product and role", async () => {
      const hrApp = await token("hr-app");
      const ok = await curl(hrApp, ...post("hr.person.hired", { name: "Bea" }));
      expect(ok.status).toBe(202);
      const denied = await curl(hrApp, ...post("sales.order.placed", { id: "o-9" }));
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.body)).toMatchObject({ detail: expect.stringMatching(/hr-app may not publish .*data product sales: the producer role is missing/) });
    });

    it("gives a consumer only what it may read: pull and SSE of a forbidden type are refused, an unnamed filter reads its products", async () => {
      const carol = await token("carol");
      const forbidden = await curl(carol, "-H", "accept: application/json", url("/events?type=hr.person.hired&max=10"));
      expect(forbidden.status).toBe(403);
      const sse = await curl(carol, "-N", "-H", "accept: text/event-stream", url("/events?type=hr.person.hired&start=earliest"));
      expect(sse.status).toBe(403);
      const page = await curl(carol, "-H", "accept: application/json", url("/events?max=100"));
      expect(page.status).toBe(200);
      const types = new Set((JSON.parse(page.body) as { deliveries: { event: { type: string } }[] }).deliveries.map((d) => d.event.type));
      expect([...types]).toEqual(["sales.order.placed"]);
    });

    it("refuses a non-owner's schema change over Connect, and lets the owner read the product's OpenAPI", async () => {
      const bob = await token("bob", ["analytics"]);
      const change = await curl(bob, "-XPOST", "-H", "content-type: application/json", "-d", JSON.stringify({ type: "hr.person.hired", cueSource: "#Person: {name: string, age?: int}\n" }), url("/meshstream.v1.CatalogService/RegisterSchemaVersion"));
      expect(change.status).toBe(403);
      expect(JSON.parse(change.body)).toMatchObject({ code: "permission_denied", message: expect.stringMatching(/data product hr/) });
      const openapi = await curl(await token("alice", ["hr-team"]), url("/openapi/hr"));
      expect(openapi.status).toBe(200);
      expect(JSON.parse(openapi.body)).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    });
  });

  describe("rotation without restart", () => {
    it("verifies tokens signed by a key added to the JWKS file", async () => {
      const withK2 = clientWith(await token("hr-app", [], { key: k2 }));
      expect(await failure(withK2.unary(IngestService.method.publish, { event: person }))).toEqual({ code: "UNAUTHENTICATED", details: expect.stringMatching(/^unknown signing key/) });
      writeJwks(`${jwks}.new`, [k1, k2]);
      renameSync(`${jwks}.new`, jwks);
      expect((await withK2.unary(IngestService.method.publish, { event: person })).receipt?.id).toBeTruthy();
    });

    it("serves a certificate replaced on disk to new connections", async () => {
      const before = await servedFingerprint(platform.address, ca.cert);
      expect(before).toBe(new X509Certificate(readFileSync(tls.cert)).fingerprint256);
      const otherCa = await makeCa(dir, "other-ca");
      const renewed = await otherCa.server("renewed");
      // Key first, then certificate: in between, the pair does not match and the old one stays served.
      copyFileSync(renewed.key, `${tls.key}.new`);
      renameSync(`${tls.key}.new`, tls.key);
      copyFileSync(renewed.cert, `${tls.cert}.new`);
      renameSync(`${tls.cert}.new`, tls.cert);
      // Each listener looks at the files every second: wait until it serves the new certificate.
      const servedAfterRotation = async (address: string) => {
        const deadline = Date.now() + 10_000;
        let served = before;
        while (served === before && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          served = await servedFingerprint(address, otherCa.cert).catch(() => before);
        }
        return served;
      };
      const renewedFingerprint = new X509Certificate(readFileSync(renewed.cert)).fingerprint256;
      expect(await servedAfterRotation(platform.address)).toBe(renewedFingerprint);
      // The HTTP listener watches the same files.
      expect(await servedAfterRotation(platform.httpUrl.replace(/^https:\/\//, ""))).toBe(renewedFingerprint);
      const fresh = new TestClient(platform.address, byName, secureCredentials(readFileSync(otherCa.cert), { cert: readFileSync(clientCert.cert), key: readFileSync(clientCert.key) }, await token("carol")));
      clients.push(fresh);
      expect((await fresh.unary(CatalogService.method.getDataProduct, { name: "sales" })).dataProduct?.name).toBe("sales");
      expect(platform.logs.some((l) => l.includes("TLS files changed: new connections get the new certificate"))).toBe(true);
    });
  });

  it("answers the image's HEALTHCHECK script over its TLS listener, which warns of nothing", async () => {
    // Node warns (DEP0123) when a TLS client sends an IP address as the server name, as grpc-js does
    // for an IP target unless given a name: the script runs every 30 s, so each run would log it.
    const check = await run(process.execPath, ["-r", "@swc-node/register", "apps/platform/src/healthcheck.ts"], { cwd: repoRoot, env: { ...process.env, ...env, MESHSTREAM_LISTEN: platform.address }, timeoutMs: 30_000 });
    expect({ code: check.code, stdout: check.stdout.trim(), stderr: check.stderr }).toEqual({ code: 0, stdout: "SERVING", stderr: "" });
  });

  it("never wrote a token to its log", () => {
    expect(tokens.length).toBeGreaterThan(15);
    const log = platform.logs.join("\n");
    for (const t of tokens) {
      expect(log).not.toContain(t);
      expect(log).not.toContain(t.split(".")[2]);
    }
  });
});
