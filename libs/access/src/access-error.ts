/**
 * A refusal in the platform's shared vocabulary (see libs/grpc status
 * mapping): the caller is not known (unauthenticated), may not do this
 * (permission_denied), or the keys to check it cannot be had (unavailable).
 * Messages say what is wrong and never carry a token.
 */
export class AccessError extends Error {
  constructor(
    readonly code: "unauthenticated" | "permission_denied" | "unavailable",
    message: string,
  ) {
    super(message);
    this.name = "AccessError";
  }
}
