import { AccessError } from "./access-error";
import type { AuditSink } from "./audit";
import { callerOf, trustedCaller, type Caller } from "./caller";
import type { JwtVerifier } from "./jwt-verifier";

/**
 * none: no identities, every caller may do anything (loopback development);
 * jwt: a bearer token on every call; mtls: the client certificate's CN.
 */
export type AuthMode = "none" | "jwt" | "mtls";

/** What a call presents, read by the transport (gRPC metadata and TLS socket, or HTTP headers and the same socket). */
export interface Credentials {
  /** The `authorization` header(s). */
  readonly authorization?: string | readonly string[];
  /** The client certificate, given only when it verified against the configured client CA. */
  readonly clientCertificate?: { readonly subject?: { readonly CN?: string | readonly string[] } };
}

/** Where the call came from, for the audit line of a refusal. */
export interface CallSite {
  readonly method: string;
  readonly peer?: string;
}

export interface AuthenticatorOptions {
  readonly mode: AuthMode;
  /** Required for mode jwt. */
  readonly jwt?: JwtVerifier;
  /** A client CA is configured: calls must present a certificate that verified against it. */
  readonly requireClientCertificate: boolean;
  /** Principals that may do anything (MESHSTREAM_ADMINS). */
  readonly admins: readonly string[];
  readonly audit: AuditSink;
  /** Verified tokens are reused this long at most (and never past their exp), so that unary calls do not verify each time. */
  readonly tokenCacheMs?: number;
  readonly tokenCacheSize?: number;
}

const bearer = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/**
 * Credentials → the Caller, once per call (a stream is one call), or
 * UNAUTHENTICATED saying which problem: missing, malformed, expired, wrong
 * issuer or audience, unknown key, no client certificate. Refusals are audited.
 */
export class Authenticator {
  private readonly admins: ReadonlySet<string>;
  // token (+ CN) → caller; Map order is insertion order, so the first entry is the oldest.
  private readonly verified = new Map<string, { caller: Caller; until: number }>();

  constructor(private readonly options: AuthenticatorOptions) {
    if (options.mode === "jwt" && !options.jwt) throw new Error("mode jwt needs a JwtVerifier");
    this.admins = new Set(options.admins);
  }

  get mode(): AuthMode {
    return this.options.mode;
  }

  authenticate(credentials: Credentials, site: CallSite): Caller | Promise<Caller> {
    try {
      const cn = this.commonName(credentials);
      switch (this.options.mode) {
        case "none":
          return trustedCaller(cn);
        case "mtls":
          if (!cn) throw new AccessError("unauthenticated", "a client certificate with a subject CN is required");
          return callerOf(cn, [cn], this.admins);
        case "jwt":
          return this.fromToken(tokenOf(credentials.authorization), cn).catch((err: unknown) => {
            throw this.refused(err, site);
          });
      }
    } catch (err) {
      throw this.refused(err, site);
    }
  }

  private commonName(credentials: Credentials): string | undefined {
    const cn = credentials.clientCertificate?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : (cn as string | undefined);
    if (this.options.requireClientCertificate && !credentials.clientCertificate) {
      throw new AccessError("unauthenticated", "a client certificate signed by the platform's client CA is required (none was presented, or it did not verify)");
    }
    return name || undefined;
  }

  private async fromToken(token: string, cn: string | undefined): Promise<Caller> {
    const key = cn ? `${token}\u0000${cn}` : token;
    const now = Date.now();
    const cached = this.verified.get(key);
    if (cached && cached.until > now) return cached.caller;
    const claims = await this.options.jwt!.verify(token);
    const principals = [claims.sub, ...claims.groups.map((g) => `group:${g}`), ...(cn ? [cn] : [])];
    const caller = callerOf(claims.sub, principals, this.admins);
    this.remember(key, caller, Math.min(claims.expiresAt, now + (this.options.tokenCacheMs ?? 30_000)));
    return caller;
  }

  private remember(key: string, caller: Caller, until: number): void {
    this.verified.delete(key);
    if (this.verified.size >= (this.options.tokenCacheSize ?? 10_000)) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, { caller, until });
  }

  private refused(err: unknown, site: CallSite): unknown {
    if (err instanceof AccessError) this.options.audit({ principal: "unknown", method: site.method, peer: site.peer, outcome: "unauthenticated", reason: err.message });
    return err;
  }
}

function tokenOf(authorization: Credentials["authorization"]): string {
  const values = typeof authorization === "string" ? [authorization] : (authorization ?? []);
  if (values.length === 0) throw new AccessError("unauthenticated", "missing credentials: send the metadata 'authorization: Bearer <JWT>'");
  if (values.length > 1) throw new AccessError("unauthenticated", "malformed authorization: more than one authorization header");
  const match = bearer.exec(values[0]!);
  if (!match) throw new AccessError("unauthenticated", "malformed authorization: expected 'Bearer <JWT>'");
  return match[1]!;
}
