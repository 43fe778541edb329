import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Metadata, status } from "@grpc/grpc-js";

/** What ties together everything one call logs: its request id and, when traced, its trace id. */
export interface CallScope {
  /** Fully qualified method, e.g. "meshstream.v1.IngestService/Publish". */
  readonly method: string;
  /** The client's `x-request-id` (when it is a sane token), else a new UUID; sent back as a response header. */
  readonly requestId: string;
  readonly traceId?: string;
}

/**
 * Tracing as the gRPC layer sees it (the OpenTelemetry adapter lives with the
 * application): a span per call, a child of the caller's trace context, in
 * which the handler runs, ended with the call's status.
 */
export interface CallTracer {
  start(method: string, metadata: Metadata): TracedCall;
}

export interface TracedCall {
  readonly traceId?: string;
  run<T>(fn: () => T): T;
  end(code: status, message?: string): void;
}

export interface OpenCall {
  readonly scope: CallScope;
  readonly traced: TracedCall;
}

const storage = new AsyncLocalStorage<CallScope>();
// The interceptor opens a call when its metadata arrives; the handler, given the same metadata object, finds it here.
const open = new WeakMap<Metadata, OpenCall>();
const untraced: TracedCall = { run: (fn) => fn(), end: () => undefined };

/** The call the current code runs for, if any: the logger reads it to tag its lines. */
export function currentCall(): CallScope | undefined {
  return storage.getStore();
}

export function runInCall<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export const requestIdHeader = "x-request-id";
// A client's id goes into every log line of its call: printable tokens only, so that it can forge nothing there.
const saneRequestId = /^[A-Za-z0-9._:/+=-]{1,128}$/;

function newCall(method: string, metadata: Metadata, tracer: CallTracer | undefined): OpenCall {
  const given = metadata.get(requestIdHeader)[0];
  const requestId = typeof given === "string" && saneRequestId.test(given) ? given : randomUUID();
  const traced = tracer?.start(method, metadata) ?? untraced;
  return { scope: { method, requestId, traceId: traced.traceId }, traced };
}

export function openCall(method: string, metadata: Metadata, tracer: CallTracer | undefined): OpenCall {
  const call = newCall(method, metadata, tracer);
  open.set(metadata, call);
  return call;
}

/**
 * The call its interceptor opened for this metadata, or a new untraced one.
 * Taken out of the map: on Node 20 a WeakMap's value outlives the young
 * generation's next collection even when its key dies, which copied every
 * call's span and scope once more.
 */
export function callOf(method: string, metadata: Metadata): OpenCall {
  const opened = open.get(metadata);
  if (!opened) return newCall(method, metadata, undefined);
  open.delete(metadata);
  return opened;
}
