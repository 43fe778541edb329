import type { IncomingHttpHeaders } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Caller, Credentials } from "@meshstream/access";
import { AbortableContext, CallError, type CallContext, type RequestHeaders } from "@meshstream/grpc";
import type { FastifyReply, FastifyRequest } from "fastify";

/** What authentication sees of a request: the access seam, run once per request. */
export interface IncomingCall {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The client's address, host:port. */
  readonly peer: string;
  /** The client certificate, only when it verified against the listener's client CA. */
  readonly clientCertificate?: Credentials["clientCertificate"];
}

/**
 * Runs once per HTTP request, before any route (CloudEvents, SSE, pull,
 * catalog and Connect alike), and says who calls. Throwing a domain error
 * refuses the request with its status (e.g. unauthenticated → 401) as a problem document.
 */
export type RequestHook = (call: IncomingCall) => Caller | Promise<Caller>;

// Set by the hook for every request before its route runs; a route never runs without one.
const callers = new WeakMap<FastifyRequest, Caller>();

export function setCaller(request: FastifyRequest, caller: Caller): void {
  callers.set(request, caller);
}

/**
 * The caller the hook found, taken once per request (the route's context
 * holds it from there): a WeakMap entry left in place outlives its request
 * by a young-generation collection, and so did everything the request held.
 * None would be a route that escaped authentication, so that fails closed.
 */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  callers.delete(request);
  if (!caller) throw new Error(`no caller for ${request.method} ${request.url}: the request was not authenticated`);
  return caller;
}

export function headersOf(headers: IncomingHttpHeaders): RequestHeaders {
  return {
    get(name: string) {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(", ") : v;
    },
  };
}

export function incomingCall(request: FastifyRequest): IncomingCall {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  // Asked for but not required at the handshake (see the listener): only a verified certificate names anyone.
  const clientCertificate = socket?.authorized ? socket.getPeerCertificate?.() : undefined;
  return {
    method: request.method,
    url: request.url,
    headers: headersOf(request.headers),
    peer: `${request.ip}:${request.socket?.remotePort ?? 0}`,
    ...(clientCertificate ? { clientCertificate } : {}),
  };
}

/** One HTTP request's CallContext: its signal is made only when needed (see AbortableContext). */
class HttpCallContext extends AbortableContext implements CallContext {
  readonly headers: RequestHeaders;
  readonly peer: string;

  constructor(
    readonly method: string,
    readonly caller: Caller,
    call: IncomingCall,
    readonly sendHeader: () => void,
  ) {
    super();
    this.headers = call.headers;
    this.peer = call.peer;
  }
}

/** Calls in flight, so that shutdown can end those that hold something open (streams, long polls). */
export class OpenCalls {
  private readonly calls = new Set<HttpCallContext>();

  get size(): number {
    return this.calls.size;
  }

  /**
   * The context a service method gets for one HTTP request: aborted when the
   * client goes away before the answer is complete, or when the server shuts down.
   */
  open(request: FastifyRequest, reply: FastifyReply, method: string, sendHeader: () => void = () => {}): { ctx: CallContext; release: () => void } {
    const ctx = new HttpCallContext(method, callerOf(request), incomingCall(request), sendHeader);
    const onClose = () => {
      if (!reply.raw.writableFinished) ctx.abort(new CallError("cancelled", "the client went away"));
    };
    reply.raw.once("close", onClose);
    this.calls.add(ctx);
    const release = () => {
      reply.raw.off("close", onClose);
      this.calls.delete(ctx);
    };
    return { ctx, release };
  }

  abortAll(reason: CallError): void {
    for (const c of this.calls) c.abort(reason);
  }
}
