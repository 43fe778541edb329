import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import type { AuditEntry } from "./audit";
import { Authenticator, type AuthenticatorOptions } from "./authenticator";
import { openJwks } from "./jwks";
import { JwtVerifier } from "./jwt-verifier";

describe("Authenticator", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshstream-authn-"));
  let key: CryptoKey;
  let jwt: JwtVerifier;
  let audit: AuditEntry[];
  const site = { method: "meshstream.v1.CatalogService/GetDataProduct", peer: "ipv4:127.0.0.1:5000" };
  const token = (sub: string, groups: string[] = [], ttl = "10m") =>
    new SignJWT({ iss: "https://idp.test", aud: "meshstream", sub, groups }).setExpirationTime(ttl).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(key);
  const make = (options: Partial<AuthenticatorOptions> = {}) =>
    new Authenticator({ mode: "jwt", jwt, requireClientCertificate: false, admins: ["root", "group:platform"], audit: (e) => audit.push(e), ...options });
  const cert = (CN: string) => ({ subject: { CN } });

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    key = pair.privateKey;
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] }));
    jwt = new JwtVerifier({ keys: openJwks(join(dir, "jwks.json")), issuer: "https://idp.test", audience: "meshstream", groupsClaim: "groups" });
  });
  beforeEach(() => (audit = []));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("makes principals of sub, groups and the client certificate's CN", async () => {
    const caller = await make().authenticate({ authorization: `Bearer ${await token("alice", ["hr-team", "analytics"])}`, clientCertificate: cert("laptop-7") }, site);
    expect(caller).toEqual({ name: "alice", principals: new Set(["alice", "group:hr-team", "group:analytics", "laptop-7"]), admin: false });
  });

  it("makes administrators of MESHSTREAM_ADMINS, by user or group", async () => {
    expect((await make().authenticate({ authorization: `Bearer ${await token("root")}` }, site)).admin).toBe(true);
    expect((await make().authenticate({ authorization: `Bearer ${await token("dana", ["platform"])}` }, site)).admin).toBe(true);
  });

  it("verifies a token once and reuses the caller for the next calls that carry it", async () => {
    const verify = jest.spyOn(jwt, "verify");
    try {
      const authn = make();
      const authorization = `Bearer ${await token("alice")}`;
      const first = await authn.authenticate({ authorization }, site);
      expect(await authn.authenticate({ authorization }, site)).toBe(first);
      expect(verify).toHaveBeenCalledTimes(1);
      // The same token with another certificate is another caller.
      expect(await authn.authenticate({ authorization, clientCertificate: cert("x") }, site)).not.toBe(first);
    } finally {
      verify.mockRestore();
    }
  });

  it("does not reuse a verified token past its exp", async () => {
    const authn = make({ tokenCacheMs: 60_000 });
    const authorization = `Bearer ${await token("alice", [], "2s")}`;
    await authn.authenticate({ authorization }, site);
    const verify = jest.spyOn(jwt, "verify");
    try {
      await new Promise((r) => setTimeout(r, 2100));
      // Verified again (and still accepted: within the clock tolerance).
      await authn.authenticate({ authorization }, site);
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it.each<[string, () => Promise<Parameters<Authenticator["authenticate"]>[0]>, RegExp]>([
    ["no authorization", async () => ({}), /^missing credentials: send the metadata 'authorization: Bearer <JWT>'$/],
    ["a Basic authorization", async () => ({ authorization: "Basic YWxpY2U6c2VjcmV0" }), /^malformed authorization: expected 'Bearer <JWT>'$/],
    ["two authorization headers", async () => ({ authorization: [`Bearer ${await token("a")}`, `Bearer ${await token("b")}`] }), /more than one authorization header/],
    ["a bearer that is no JWT", async () => ({ authorization: "Bearer abc.def" }), /^malformed token/],
  ])("refuses %s as UNAUTHENTICATED and audits it without the token", async (_what, credentials, message) => {
    const given = await credentials();
    await expect(Promise.resolve().then(() => make().authenticate(given, site))).rejects.toMatchObject({ code: "unauthenticated", message: expect.stringMatching(message) });
    expect(audit).toEqual([{ principal: "unknown", method: site.method, peer: site.peer, outcome: "unauthenticated", reason: expect.stringMatching(message) }]);
    const bearer = JSON.stringify(given.authorization ?? "").match(/Bearer ([^"]+)/)?.[1];
    if (bearer) expect(JSON.stringify(audit)).not.toContain(bearer);
  });

  it("requires a verified client certificate when a client CA is configured, in every mode", async () => {
    const authorization = `Bearer ${await token("alice")}`;
    for (const mode of ["none", "jwt", "mtls"] as const) {
      await expect(Promise.resolve().then(() => make({ mode, requireClientCertificate: true }).authenticate({ authorization }, site))).rejects.toMatchObject({
        code: "unauthenticated",
        message: expect.stringMatching(/client certificate signed by the platform's client CA is required/),
      });
    }
    expect(await make({ requireClientCertificate: true }).authenticate({ authorization, clientCertificate: cert("laptop-7") }, site)).toMatchObject({ name: "alice" });
  });

  it("with mtls, the certificate's CN is the caller", async () => {
    const authn = make({ mode: "mtls", jwt: undefined, requireClientCertificate: true });
    expect(await authn.authenticate({ clientCertificate: cert("hr-app") }, site)).toEqual({ name: "hr-app", principals: new Set(["hr-app"]), admin: false });
    expect(await authn.authenticate({ clientCertificate: cert("root") }, site)).toMatchObject({ admin: true });
  });

  it("with none, every caller is trusted and no token is looked at", async () => {
    const caller = await make({ mode: "none", jwt: undefined }).authenticate({ authorization: "Bearer garbage" }, site);
    expect(caller).toMatchObject({ name: "anonymous", admin: true });
    expect(audit).toEqual([]);
  });
});
