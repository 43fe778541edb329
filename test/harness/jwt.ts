import { readFileSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

/** A signing key pair as an identity provider would hold it: the private JWK, and the public one for the JWKS. */
export interface SigningKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function makeSigningKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const meta = { kid, alg: "ES256", use: "sig" };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...(await exportJWK(publicKey)), ...meta } };
}

/** Writes the public keys as a JWKS file (what MESHSTREAM_JWKS points to). */
export function writeJwks(file: string, keys: readonly SigningKey[]): void {
  writeFileSync(file, `${JSON.stringify({ keys: keys.map((k) => k.publicJwk) }, null, 2)}\n`);
}

export function writeSigningKey(file: string, key: SigningKey): void {
  writeFileSync(file, `${JSON.stringify(key.privateJwk, null, 2)}\n`, { mode: 0o600 });
}

export function readSigningKey(file: string): SigningKey {
  const privateJwk = JSON.parse(readFileSync(file, "utf8")) as JWK;
  const { d: _d, ...publicJwk } = privateJwk;
  return { kid: privateJwk.kid ?? "", privateJwk, publicJwk };
}

export interface TokenClaims extends JWTPayload {
  readonly sub: string;
  readonly groups?: readonly string[];
}

/**
 * A signed token. `expiresIn` is a jose duration ("1h", "-5m" for one that
 * expired); iss and aud as the platform expects unless overridden.
 */
export async function signToken(key: SigningKey, claims: TokenClaims, options: { issuer: string; audience: string; expiresIn?: string }): Promise<string> {
  const privateKey = (await importJWK(key.privateJwk, "ES256")) as CryptoKey;
  return new SignJWT({ iss: options.issuer, aud: options.audience, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(privateKey);
}
