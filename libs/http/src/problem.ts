import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { isDomainError, type FieldViolation } from "@meshstream/grpc";
import { BadRequestSchema, type Status } from "@meshstream/proto";

/** An RFC 9457 problem document, as every refusal of the HTTP face is answered. */
export interface Problem {
  /** A URI naming the kind of problem, e.g. "urn:meshstream:problem:invalid-argument". */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** What went wrong with this request; for invalid data, the seed's message. */
  readonly detail: string;
  /** Extension member: the fields at fault (CUE paths for event data). */
  readonly violations?: readonly FieldViolation[];
}

export const problemContentType = "application/problem+json";

// The gRPC codes by number (google.rpc.Code), for errors that arrive as a google.rpc.Status.
const codeNames = [
  "ok", "cancelled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied",
  "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
] as const;

// The same mapping as the Connect protocol's, but for failed_precondition: a schema that the
// type's compatibility policy refuses conflicts with the catalog's state (409), the request itself is well-formed.
const statusByCode: Readonly<Record<string, { status: number; title: string }>> = {
  cancelled: { status: 499, title: "Client Closed Request" },
  unknown: { status: 500, title: "Internal Server Error" },
  invalid_argument: { status: 400, title: "Bad Request" },
  deadline_exceeded: { status: 504, title: "Gateway Timeout" },
  not_found: { status: 404, title: "Not Found" },
  already_exists: { status: 409, title: "Conflict" },
  permission_denied: { status: 403, title: "Forbidden" },
  resource_exhausted: { status: 429, title: "Too Many Requests" },
  failed_precondition: { status: 409, title: "Conflict" },
  aborted: { status: 409, title: "Conflict" },
  out_of_range: { status: 400, title: "Bad Request" },
  unimplemented: { status: 501, title: "Not Implemented" },
  internal: { status: 500, title: "Internal Server Error" },
  unavailable: { status: 503, title: "Service Unavailable" },
  data_loss: { status: 500, title: "Internal Server Error" },
  unauthenticated: { status: 401, title: "Unauthorized" },
};

const typeOf = (kind: string) => `urn:meshstream:problem:${kind.replaceAll("_", "-")}`;

/** A problem raised by the HTTP layer itself (size, media type, routing, malformed body). */
export function httpProblem(kind: string, status: number, title: string, detail: string, violations?: readonly FieldViolation[]): Problem {
  return { type: typeOf(kind), title, status, detail, ...(violations?.length ? { violations } : {}) };
}

export function problemOfCode(code: string, detail: string, violations?: readonly FieldViolation[]): Problem {
  const { status, title } = statusByCode[code] ?? statusByCode.internal!;
  return httpProblem(statusByCode[code] ? code : "internal", status, title, detail, violations);
}

/** An error the HTTP layer answers with a problem of its own (415, 406, 413, …). */
export class HttpProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = "HttpProblemError";
  }
}

/**
 * Anything a handler threw, as a problem. Errors that are neither domain
 * errors nor the HTTP layer's become a bare 500: their text may hold internals.
 */
export function problemOf(err: unknown): Problem {
  if (err instanceof HttpProblemError) return err.problem;
  if (!isDomainError(err)) return problemOfCode("internal", "internal error");
  return problemOfCode(err.code, err.message, err.violations);
}

/** One failed result of a batch, which the services give as a google.rpc.Status. */
export function problemOfStatus(status: Status): Problem {
  const violations = status.details.flatMap((d) => anyUnpack(d, BadRequestSchema)?.fieldViolations ?? []).map((v) => ({ field: v.field, description: v.description }));
  return problemOfCode(codeNames[status.code] ?? "unknown", status.message, violations);
}
