import { createServer, type Server } from "node:http";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { JwksError, openJwks } from "./jwks";
import { JwtVerifier } from "./jwt-verifier";

interface Key {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function makeKey(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256" } };
}

const sign = (key: Key) =>
  new SignJWT({ iss: "https://idp.test", aud: "meshstream", sub: "alice" })
    .setExpirationTime("10m")
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .sign(key.privateKey);

const verifierOf = (source: string, options: Parameters<typeof openJwks>[1] = {}) =>
  new JwtVerifier({ keys: openJwks(source, options), issuer: "https://idp.test", audience: "meshstream", groupsClaim: "groups" });

describe("openJwks", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshstream-jwks-"));
  let k1: Key;
  let k2: Key;
  beforeAll(async () => {
    [k1, k2] = await Promise.all([makeKey("k1"), makeKey("k2")]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Written the way a deployment replaces it: a new file renamed over the old one. */
  const writeJwks = (file: string, keys: Key[]) => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    renameSync(`${file}.tmp`, file);
  };

  it("picks up a key added to the file, without restart, at the first token that names it", async () => {
    const file = join(dir, "rotate.json");
    writeJwks(file, [k1]);
    const verifier = verifierOf(file);
    await expect(verifier.verify(await sign(k1))).resolves.toMatchObject({ sub: "alice" });
    await expect(verifier.verify(await sign(k2))).rejects.toMatchObject({ message: expect.stringMatching(/^unknown signing key/) });
    writeJwks(file, [k1, k2]);
    await expect(verifier.verify(await sign(k2))).resolves.toMatchObject({ sub: "alice" });
  });

  it("stops accepting a key removed from the file within a second", async () => {
    const file = join(dir, "revoke.json");
    writeJwks(file, [k1, k2]);
    const verifier = verifierOf(file);
    await expect(verifier.verify(await sign(k1))).resolves.toMatchObject({ sub: "alice" });
    writeJwks(file, [k2]);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(verifier.verify(await sign(k1))).rejects.toMatchObject({ code: "unauthenticated" });
  });

  it("keeps the keys it had while the file is being rewritten badly, and says so", async () => {
    const file = join(dir, "broken.json");
    writeJwks(file, [k1]);
    const errors: Error[] = [];
    const verifier = verifierOf(file, { onReloadError: (e) => errors.push(e) });
    writeFileSync(file, "{ half a file");
    await expect(verifier.verify(await sign(k2))).rejects.toMatchObject({ message: expect.stringMatching(/^unknown signing key/) });
    await expect(verifier.verify(await sign(k1))).resolves.toMatchObject({ sub: "alice" });
    expect(errors[0]?.message).toMatch(/not a JWKS/);
  });

  it("fails at start on a missing or malformed file, naming it", () => {
    expect(() => openJwks(join(dir, "absent.json"))).toThrow(JwksError);
    expect(() => openJwks(join(dir, "absent.json"))).toThrow(/absent\.json: cannot read the JWKS file \(ENOENT\)/);
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ nokeys: true }));
    expect(() => openJwks(join(dir, "bad.json"))).toThrow(/bad\.json: not a JWKS/);
  });

  it("refuses a plain-http JWKS URL off loopback", () => {
    expect(() => openJwks("http://idp.example.com/jwks.json")).toThrow(/must be https/);
  });

  describe("from a URL", () => {
    let server: Server;
    let served: Key[] = [];
    let fetches = 0;
    let url = "";
    beforeAll(async () => {
      server = createServer((_req, res) => {
        fetches++;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("fetches once, caches, and fetches again for an unknown kid (after the cooldown)", async () => {
      served = [k1];
      const verifier = verifierOf(url, { cooldownMs: 0 });
      await verifier.verify(await sign(k1));
      await verifier.verify(await sign(k1));
      expect(fetches).toBe(1);
      served = [k1, k2];
      await expect(verifier.verify(await sign(k2))).resolves.toMatchObject({ sub: "alice" });
      expect(fetches).toBe(2);
    });

    it("answers UNAVAILABLE when the JWKS cannot be fetched", async () => {
      const verifier = verifierOf("http://127.0.0.1:1/jwks.json");
      await expect(verifier.verify(await sign(k1))).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/JWKS cannot be fetched/) });
    });
  });
});
