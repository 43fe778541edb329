export { AccessControl, type AccessCall, type AccessControlOptions } from "./access-control";
export { AccessError } from "./access-error";
export type { AuditEntry, AuditSink } from "./audit";
export { Authenticator, type AuthenticatorOptions, type AuthMode, type CallSite, type Credentials } from "./authenticator";
export { callerOf, trustedCaller, unauthenticatedCaller, type Caller } from "./caller";
export { JwksError, openJwks, type JwksOptions, type KeySource } from "./jwks";
export { JwtVerifier, type JwtVerifierOptions, type VerifiedToken } from "./jwt-verifier";
export { anyCaller, holds, type ProductAccess, type Role } from "./roles";
