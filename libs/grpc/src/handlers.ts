import type { DescMethod } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import type * as grpc from "@grpc/grpc-js";
import { unauthenticatedCaller, type Caller } from "@meshstream/access";
import type { Readable } from "node:stream";
import { AbortableContext } from "./abortable-context";
import { MalformedMessage } from "./codec";
import { callOf, runInCall } from "./call-scope";
import type { CallContext, RequestHeaders } from "./service-impl";
import { CallError, isDomainError, toStatusObject } from "./status";

/** Streaming calls in flight, so that shutdown can end those that would never end by themselves. */
export class ActiveCalls {
  private readonly calls = new Set<AbortController>();

  get size(): number {
    return this.calls.size;
  }

  track(controller: AbortController): () => void {
    this.calls.add(controller);
    return () => this.calls.delete(controller);
  }

  abortAll(reason: CallError): void {
    for (const c of this.calls) c.abort(reason);
  }
}

export type InternalErrorSink = (method: string, err: unknown) => void;

// Handlers are typed loosely here: the impl's types were checked at register().
export type AnyImpl = (input: unknown, ctx: CallContext) => unknown;
export type ServerCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>;

function malformed(m: MalformedMessage): CallError {
  return new CallError("invalid_argument", `malformed ${m.typeName}: ${m.reason}`);
}

/** Who is calling, checked once per call (a stream is one call) before the method runs; open methods skip it. */
export type CallAuthenticator = (call: ServerCall, method: string) => Caller | Promise<Caller>;

/**
 * Runs a call's whole handling (authentication, handler, status) in the
 * scope (request id, trace span) its interceptor opened. A server stream's
 * handler does not run in its span (the span still covers the call): it makes
 * no child spans, since a trace of a stream of a million events would be
 * unusable, and an entered trace context costs every promise of every event
 * (an AsyncLocalStorage propagated through them).
 */
function inScopeOf(call: ServerCall, method: string, streams = false): <T>(body: () => T) => T {
  const { scope, traced } = callOf(method, call.metadata);
  return streams ? (body) => runInCall(scope, body) : (body) => traced.run(() => runInCall(scope, body));
}

/**
 * A call's context for its handler: who calls, cancellation, headers.
 * `release()` once the handler is done: grpc-js reports every call "cancelled"
 * when its HTTP/2 stream closes, answered or not, and every answered call
 * then made an error, its stack captured, for a handler long gone.
 *
 * A unary call's AbortController is made only when its handler asks for the
 * signal or the client cancels (see AbortableContext); a stream's at once,
 * since shutdown aborts it.
 */
class HandlerContext extends AbortableContext implements CallContext {
  readonly peer: string;
  readonly headers: RequestHeaders;
  private headerSent = false;
  private readonly untrack?: () => void;
  private readonly cancelled = () => this.abort(new CallError("cancelled", "cancelled by the client"));

  constructor(
    private readonly call: ServerCall,
    readonly method: string,
    readonly caller: Caller,
    streams?: ActiveCalls,
  ) {
    super();
    this.peer = call.getPeer();
    this.headers = {
      get(name: string) {
        const [value] = call.metadata.get(name);
        return typeof value === "string" ? value : undefined;
      },
    };
    // Authentication may have taken a moment: the client may be gone already.
    if (call.cancelled) this.cancelled();
    else (call as NodeJS.EventEmitter).once("cancelled", this.cancelled);
    this.untrack = streams?.track(this.abortable());
  }

  /** A property, not a method: handlers pass it on as a callback. */
  readonly sendHeader = () => {
    if (this.headerSent || this.call.cancelled) return;
    this.headerSent = true;
    this.call.sendMetadata(new Metadata());
  };

  release(): void {
    (this.call as NodeJS.EventEmitter).off("cancelled", this.cancelled);
    this.untrack?.();
  }
}

/** Waits for 'drain' so a slow reader slows the producer instead of filling memory. */
function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

async function* checkedRequests(call: NodeJS.ReadableStream & { iterator(o: { destroyOnReturn: boolean }): AsyncIterable<unknown> }): AsyncIterable<unknown> {
  // The default iterator destroys the whole duplex when the requests end,
  // which would lose the responses and the status still to be written.
  for await (const m of call.iterator({ destroyOnReturn: false })) {
    if (m instanceof MalformedMessage) throw malformed(m);
    yield m;
  }
}

/**
 * The requests of a bidi call until the client half-closes or the call is
 * aborted: on shutdown nothing more is read, and what was read is still
 * answered before the stream ends.
 *
 * Read with 'readable' and read(), not the stream's async iterator: that
 * iterator, left waiting for a request, destroys the duplex when the call
 * then ends with an error (our UNAVAILABLE at shutdown) — the answers still
 * buffered and the status with it. Here every listener is gone once reading stops.
 */
async function* untilAborted(call: Readable, signal: AbortSignal): AsyncIterable<unknown> {
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  const onReadable = () => wake?.();
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onError = (err: unknown) => {
    failure ??= err;
    wake?.();
  };
  call.on("readable", onReadable);
  call.on("end", onEnd);
  call.on("close", onEnd);
  call.on("error", onError);
  signal.addEventListener("abort", onReadable);
  try {
    while (!signal.aborted) {
      const m: unknown = call.read();
      if (m !== null) {
        if (m instanceof MalformedMessage) throw malformed(m);
        yield m;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    call.off("readable", onReadable);
    call.off("end", onEnd);
    call.off("close", onEnd);
    call.off("error", onError);
    signal.removeEventListener("abort", onReadable);
  }
}

/**
 * Writes what the implementation yields. An aborted call (shutdown) still gets
 * what the implementation yields while it winds down (the answers to the
 * requests it had read); a client that went away gets nothing more.
 */
async function writeAll(
  call: grpc.ServerWritableStream<unknown, unknown>,
  responses: AsyncIterable<unknown>,
  signal: AbortSignal,
): Promise<void> {
  for await (const response of responses) {
    if (call.cancelled) break;
    if (!call.write(response) && !signal.aborted) await drained(call, signal);
  }
}

/**
 * Adapts one method implementation to grpc-js: decoding errors, cancellation,
 * backpressure and the mapping of thrown errors to statuses live here, once.
 */
export function toGrpcHandler(
  desc: DescMethod,
  method: string,
  impl: AnyImpl | undefined,
  streams: ActiveCalls,
  onInternal: InternalErrorSink,
  authenticate: CallAuthenticator | undefined,
): grpc.UntypedHandleCall {
  const callerOf = (call: ServerCall) => (authenticate ? authenticate(call, method) : unauthenticatedCaller);
  const fail = (err: unknown) => {
    if (!isDomainError(err)) onInternal(method, err);
    return toStatusObject(err);
  };
  if (!impl) {
    const unimplemented = new CallError("unimplemented", `${method} is not implemented yet`);
    return desc.methodKind === "unary" || desc.methodKind === "client_streaming"
      ? (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(toStatusObject(unimplemented))
      : (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit("error", toStatusObject(unimplemented));
  }
  switch (desc.methodKind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        inScopeOf(call, method)(() =>
          Promise.resolve()
            .then(() => callerOf(call))
            .then((caller) => {
              if (call.request instanceof MalformedMessage) throw malformed(call.request);
              const ctx = new HandlerContext(call, method, caller);
              return Promise.resolve()
                .then(() => impl(call.request, ctx))
                .finally(() => ctx.release());
            })
            .then(
              (response) => callback(null, response),
              (err: unknown) => callback(fail(err)),
            ),
        );
      };
    case "client_streaming":
      return (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        inScopeOf(call, method)(() =>
          Promise.resolve()
            .then(() => callerOf(call))
            .then((caller) => {
              const ctx = new HandlerContext(call, method, caller);
              return Promise.resolve()
                .then(() => impl(checkedRequests(call as never), ctx))
                .finally(() => ctx.release());
            })
            .then(
              (response) => callback(null, response),
              (err: unknown) => callback(fail(err)),
            ),
        );
      };
    case "server_streaming":
    case "bidi_streaming":
      return (call: grpc.ServerWritableStream<unknown, unknown> & Partial<AsyncIterable<unknown>>) => {
        inScopeOf(call, method, true)(() =>
          Promise.resolve()
            .then(() => callerOf(call))
            .then((caller) => {
              if (call.request instanceof MalformedMessage) throw malformed(call.request);
              const ctx = new HandlerContext(call, method, caller, streams);
              const input = desc.methodKind === "bidi_streaming" ? untilAborted(call as unknown as Readable, ctx.signal) : call.request;
              return Promise.resolve()
                .then(() => writeAll(call, impl(input, ctx) as AsyncIterable<unknown>, ctx.signal))
                .then(
                  () => {
                    const reason: unknown = ctx.signal.reason;
                    // A server shutdown ends the stream with its reason; a client that went away hears nothing.
                    if (ctx.signal.aborted && !call.cancelled) call.emit("error", fail(reason));
                    else if (!call.cancelled) call.end();
                  },
                  (err: unknown) => {
                    if (!call.cancelled) call.emit("error", fail(ctx.signal.aborted ? ctx.signal.reason : err));
                  },
                )
                .finally(() => ctx.release());
            })
            .catch((err: unknown) => {
              if (!call.cancelled) call.emit("error", fail(err));
            }),
        );
      };
  }
}
