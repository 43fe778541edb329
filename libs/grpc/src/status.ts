import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Metadata, status as Code, type StatusObject } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@meshstream/proto";
import { boundedText } from "./bounded-text";

/**
 * The codes a domain error may carry. Domain libraries declare them as plain
 * strings (`readonly code = "not_found"`) so they need not know gRPC exists.
 */
export const domainCodes = {
  invalid_argument: Code.INVALID_ARGUMENT,
  not_found: Code.NOT_FOUND,
  already_exists: Code.ALREADY_EXISTS,
  failed_precondition: Code.FAILED_PRECONDITION,
  aborted: Code.ABORTED,
  out_of_range: Code.OUT_OF_RANGE,
  resource_exhausted: Code.RESOURCE_EXHAUSTED,
  unavailable: Code.UNAVAILABLE,
  data_loss: Code.DATA_LOSS,
  deadline_exceeded: Code.DEADLINE_EXCEEDED,
  cancelled: Code.CANCELLED,
  unimplemented: Code.UNIMPLEMENTED,
  internal: Code.INTERNAL,
  unauthenticated: Code.UNAUTHENTICATED,
  permission_denied: Code.PERMISSION_DENIED,
} as const;

export type DomainCode = keyof typeof domainCodes;

export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** What any error thrown by domain code may look like to be answered precisely. */
export interface DomainError {
  readonly code: DomainCode;
  readonly message: string;
  readonly violations?: readonly FieldViolation[];
  /** Sent as a google.rpc.ErrorInfo detail (domain "meshstream"), e.g. the position a reader resumes from. */
  readonly info?: { readonly reason: string; readonly metadata: Readonly<Record<string, string>> };
}

export function isDomainError(err: unknown): err is DomainError {
  return (
    typeof err === "object" &&
    err !== null &&
    typeof (err as { code?: unknown }).code === "string" &&
    Object.hasOwn(domainCodes, (err as { code: string }).code) &&
    typeof (err as { message?: unknown }).message === "string"
  );
}

/** An error raised by the transport itself, with a code chosen there. */
export class CallError extends Error implements DomainError {
  constructor(
    readonly code: DomainCode,
    message: string,
    readonly violations?: readonly FieldViolation[],
  ) {
    super(message);
    this.name = "CallError";
  }
}

const detailsKey = "grpc-status-details-bin";

/**
 * Most bytes a status takes in the trailers: grpc-message (percent-encoded)
 * and grpc-status-details-bin (base64) together. A C-core client (Python)
 * refuses trailers past 8 KB with RESOURCE_EXHAUSTED instead of the error,
 * and grpc-js stalls on very large ones.
 */
export const maxStatusBytes = 4096;

const trailerBytes = (message: string, details: Uint8Array) => encodeURI(message).length + Math.ceil(details.length / 3) * 4;

/**
 * Builds the google.rpc.Status of an error: the code, the message and, for
 * field violations, a google.rpc.BadRequest detail. Texts are cut (long
 * values to 200 characters with "…") and violations dropped from the end
 * until the whole fits in maxStatusBytes.
 */
export function toRpcStatus(err: DomainError) {
  let message = boundedText(err.message, 1024);
  let violations = (err.violations ?? []).slice(0, 64).map((v) => ({ field: boundedText(v.field, 256), description: boundedText(v.description, 512) }));
  // Small and what a client needs to resume: kept whatever else is cut.
  const info = err.info ? [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: err.info.reason, domain: "meshstream", metadata: { ...err.info.metadata } }))] : [];
  for (;;) {
    const badRequest = violations.length ? [anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: violations }))] : [];
    const status = create(StatusSchema, { code: domainCodes[err.code], message, details: [...badRequest, ...info] });
    if (trailerBytes(message, toBinary(StatusSchema, status)) <= maxStatusBytes) return status;
    // Percent-encoding can make a short text of non-ASCII characters several times longer.
    if (violations.length > 0) violations = violations.slice(0, -1);
    else message = boundedText(message, Math.floor(message.length / 2));
  }
}

/**
 * Maps anything thrown by a handler to the status sent to the client.
 * Unknown errors become INTERNAL without their text: it may hold internals.
 */
export function toStatusObject(err: unknown): StatusObject {
  const metadata = new Metadata();
  if (!isDomainError(err)) {
    return { code: Code.INTERNAL, details: "internal error", metadata };
  }
  const rpcStatus = toRpcStatus(err);
  metadata.set(detailsKey, Buffer.from(toBinary(StatusSchema, rpcStatus)));
  return { code: rpcStatus.code, details: rpcStatus.message, metadata };
}
