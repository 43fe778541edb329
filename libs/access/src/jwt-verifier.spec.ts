import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { openJwks } from "./jwks";
import { JwtVerifier } from "./jwt-verifier";

describe("JwtVerifier (keys made here with jose)", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshstream-jwt-"));
  let trusted: CryptoKey;
  let stranger: CryptoKey;
  let verifier: JwtVerifier;
  const now = () => Math.floor(Date.now() / 1000);

  const sign = (claims: JWTPayload, options: { key?: CryptoKey; kid?: string; alg?: string } = {}) =>
    new SignJWT({ iss: "https://idp.test", aud: "meshstream", sub: "alice", exp: now() + 600, ...claims })
      .setProtectedHeader({ alg: options.alg ?? "ES256", kid: options.kid ?? "k1" })
      .sign(options.key ?? trusted);

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    trusted = pair.privateKey;
    stranger = (await generateKeyPair("ES256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [jwk] }));
    verifier = new JwtVerifier({ keys: openJwks(join(dir, "jwks.json")), issuer: "https://idp.test", audience: "meshstream", groupsClaim: "groups" });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a good token and reads its sub, groups and exp", async () => {
    const exp = now() + 600;
    await expect(verifier.verify(await sign({ groups: ["hr-team", "analytics"], exp }))).resolves.toEqual({ sub: "alice", groups: ["hr-team", "analytics"], expiresAt: exp * 1000 });
    await expect(verifier.verify(await sign({ groups: "solo" }))).resolves.toMatchObject({ groups: ["solo"] });
    await expect(verifier.verify(await sign({ aud: ["other", "meshstream"] }))).resolves.toMatchObject({ sub: "alice", groups: [] });
  });

  it("tolerates a little clock skew", async () => {
    await expect(verifier.verify(await sign({ exp: now() - 10 }))).resolves.toMatchObject({ sub: "alice" });
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ["an expired token", () => sign({ exp: now() - 120 }), /^token expired$/],
    ["a token not valid yet", () => sign({ nbf: now() + 300 }), /not yet valid/],
    ["a wrong issuer", () => sign({ iss: "https://evil.test" }), /^wrong issuer/],
    ["a wrong audience", () => sign({ aud: "another-service" }), /^wrong audience/],
    ["a token without sub", () => sign({ sub: undefined }), /claim sub is missing/],
    ["a token without exp", () => sign({ exp: undefined }), /claim exp is missing/],
    ["a token signed by an unknown key", () => sign({}, { key: stranger, kid: "k9" }), /^unknown signing key/],
    ["a token signed by another key under a known kid", () => sign({}, { key: stranger }), /^bad signature/],
    ["a token that is not a JWT", async () => "not-a-token", /^malformed token/],
    ["a token cut short", async () => (await sign({})).split(".").slice(0, 2).join("."), /^malformed token/],
    ["a groups claim that is not strings", () => sign({ groups: [1, 2] }), /groups claim must be a string or a list of strings/],
    [
      "an unsigned token (alg none)",
      async () => `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "root", iss: "https://idp.test", aud: "meshstream", exp: now() + 60 })).toString("base64url")}.`,
      /^(malformed token|signing algorithm not accepted)/,
    ],
  ])("refuses %s as UNAUTHENTICATED, saying which problem and never echoing the token", async (_what, token, message) => {
    const t = await token();
    const err = (await verifier.verify(t).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe("unauthenticated");
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(t);
    for (const part of t.split(".").filter((p) => p.length > 8)) expect(err.message).not.toContain(part);
  });

  it("refuses a token signed with a shared secret even if the JWKS holds that secret", async () => {
    const secret = new TextEncoder().encode("a shared secret of at least 32 bytes!!");
    writeFileSync(join(dir, "oct.json"), JSON.stringify({ keys: [{ kty: "oct", kid: "s1", k: Buffer.from(secret).toString("base64url"), alg: "HS256" }] }));
    const oct = new JwtVerifier({ keys: openJwks(join(dir, "oct.json")), issuer: "https://idp.test", audience: "meshstream", groupsClaim: "groups" });
    const token = await new SignJWT({ iss: "https://idp.test", aud: "meshstream", sub: "root", exp: now() + 60 }).setProtectedHeader({ alg: "HS256", kid: "s1" }).sign(secret);
    await expect(oct.verify(token)).rejects.toMatchObject({ code: "unauthenticated", message: expect.stringMatching(/algorithm not accepted/) });
  });

  it("reads groups from the claim it is told", async () => {
    const custom = new JwtVerifier({ keys: openJwks(join(dir, "jwks.json")), issuer: "https://idp.test", audience: "meshstream", groupsClaim: "roles" });
    await expect(custom.verify(await sign({ roles: ["x"], groups: ["y"] }))).resolves.toMatchObject({ groups: ["x"] });
  });
});
