import { readFileSync, statSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

export interface JwksOptions {
  /** Called when a changed JWKS file cannot be read: the keys it had stay in use. */
  readonly onReloadError?: (err: Error) => void;
  /** A URL JWKS is fetched again for an unknown kid at most this often (default 30 s). */
  readonly cooldownMs?: number;
}

/** A JWKS, as jose uses it to find the key of a token. */
export type KeySource = JWTVerifyGetKey;

/** A JWKS that cannot be used: the start stops with the reason. */
export class JwksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JwksError";
  }
}

const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

/**
 * The keys tokens are verified with, from MESHSTREAM_JWKS: an https URL
 * (jose's remote set: cached, fetched again on an unknown `kid` at most
 * every 30 s; a private CA can be trusted with NODE_EXTRA_CA_CERTS) or a
 * file path (read again when it changed, so a new key is used without
 * restart). http is accepted only on loopback, for development.
 */
export function openJwks(source: string, options: JwksOptions = {}): KeySource {
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    if (url.protocol === "http:" && !loopback.test(url.hostname)) throw new JwksError(`${source}: a JWKS URL must be https (http only on loopback)`);
    return createRemoteJWKSet(url, { cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: 600_000 });
  }
  return new FileJwks(source, options.onReloadError).resolve;
}

/**
 * A JWKS file. Its stat is looked at most once a second (so that a removed
 * key stops working soon), and at once when a token names a key it lacks.
 */
class FileJwks {
  private keys: KeySource;
  private stamp: string;
  private checkedAt = Date.now();

  constructor(
    private readonly path: string,
    private readonly onReloadError: ((err: Error) => void) | undefined,
  ) {
    this.stamp = this.currentStamp();
    this.keys = this.read();
  }

  readonly resolve: KeySource = async (header, token) => {
    if (Date.now() - this.checkedAt >= 1000) this.reloadIfChanged();
    try {
      return await this.keys(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && this.reloadIfChanged()) return this.keys(header, token);
      throw err;
    }
  };

  private reloadIfChanged(): boolean {
    this.checkedAt = Date.now();
    let stamp: string;
    try {
      stamp = this.currentStamp();
      if (stamp === this.stamp) return false;
      this.keys = this.read();
    } catch (err) {
      this.onReloadError?.(err as Error);
      return false;
    }
    this.stamp = stamp;
    return true;
  }

  private currentStamp(): string {
    try {
      const s = statSync(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      throw new JwksError(`${this.path}: cannot read the JWKS file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  private read(): KeySource {
    let set: JSONWebKeySet;
    try {
      set = JSON.parse(readFileSync(this.path, "utf8")) as JSONWebKeySet;
      return createLocalJWKSet(set);
    } catch (err) {
      throw new JwksError(`${this.path}: not a JWKS ({"keys": [...]}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
