import { errors, jwtVerify, type JWTPayload } from "jose";
import { AccessError } from "./access-error";
import type { KeySource } from "./jwks";

export interface JwtVerifierOptions {
  readonly keys: KeySource;
  /** Expected `iss`. */
  readonly issuer: string;
  /** Expected `aud` (one of them, when the token has several). */
  readonly audience: string;
  /** The claim listing the caller's groups. */
  readonly groupsClaim: string;
  /** Tolerated clock difference for `exp` and `nbf`. */
  readonly clockToleranceSec?: number;
}

/** What a verified token says of its caller. */
export interface VerifiedToken {
  readonly sub: string;
  readonly groups: readonly string[];
  /** `exp`, in ms since the epoch. */
  readonly expiresAt: number;
}

// Public-key algorithms only: a JWKS with a shared secret ("oct") must not let anyone who has it sign tokens.
const algorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

const unauthenticated = (why: string) => new AccessError("unauthenticated", why);

/**
 * Verifies a JWT with jose: signature against the JWKS, `exp`/`nbf` (with a
 * small clock tolerance), `iss`, `aud`, and the presence of `sub` and `exp`.
 * A refusal says which check failed, never what the token held.
 */
export class JwtVerifier {
  constructor(private readonly options: JwtVerifierOptions) {}

  async verify(token: string): Promise<VerifiedToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.options.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms,
        clockTolerance: this.options.clockToleranceSec ?? 30,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (err) {
      throw refusal(err);
    }
    return { sub: payload.sub!, groups: groupsOf(payload[this.options.groupsClaim], this.options.groupsClaim), expiresAt: payload.exp! * 1000 };
  }
}

function groupsOf(claim: unknown, name: string): string[] {
  if (claim === undefined) return [];
  if (typeof claim === "string") return [claim];
  if (Array.isArray(claim) && claim.every((g) => typeof g === "string")) return claim as string[];
  throw unauthenticated(`malformed token: the ${name} claim must be a string or a list of strings`);
}

function refusal(err: unknown): Error {
  if (!(err instanceof errors.JOSEError)) {
    // The keys could not be fetched (network, TLS, a JWKS URL that answers no JSON): not the caller's fault.
    return new AccessError("unavailable", `cannot verify tokens now: the JWKS cannot be fetched (${err instanceof Error ? err.message : String(err)})`);
  }
  if (err instanceof errors.JWTExpired) return unauthenticated("token expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "iss":
        return unauthenticated("wrong issuer: the token's iss is not the one this platform trusts");
      case "aud":
        return unauthenticated("wrong audience: the token's aud does not name this platform");
      case "nbf":
        return unauthenticated("token not yet valid (nbf)");
      default:
        return unauthenticated(`token rejected: claim ${err.claim} ${err.reason === "missing" ? "is missing" : "is invalid"}`);
    }
  }
  if (err instanceof errors.JWKSNoMatchingKey) return unauthenticated("unknown signing key: no key of the JWKS matches the token's kid and alg");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return unauthenticated("ambiguous signing key: several keys of the JWKS match; the token must name its kid");
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated("bad signature: the token does not verify with the key it names");
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthenticated("signing algorithm not accepted (public-key algorithms only)");
  if (err instanceof errors.JWKSTimeout) return new AccessError("unavailable", "cannot verify tokens now: fetching the JWKS timed out");
  if (err instanceof errors.JWKSInvalid) return new AccessError("unavailable", "cannot verify tokens now: the JWKS is not valid");
  return unauthenticated("malformed token: not a signed JWT");
}
