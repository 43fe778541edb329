import type { IncomingHttpHeaders } from "node:http";
import { CallError, type CallContext, type RequestHeaders } from "@meshstream/grpc";
import type { FastifyReply, FastifyRequest } from "fastify";

/** What the per-request hook sees of a caller: the access seam (authenticate here, once per request). */
export interface IncomingCall {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The client's address, host:port. */
  readonly peer: string;
}

/**
 * Runs once per HTTP request, before any route (CloudEvents, SSE, pull,
 * catalog and Connect alike). Throwing a domain error refuses the request
 * with its status (e.g. unauthenticated → 401) as a problem document.
 */
export type RequestHook = (call: IncomingCall) => void | Promise<void>;

export function headersOf(headers: IncomingHttpHeaders): RequestHeaders {
  return {
    get(name: string) {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(", ") : v;
    },
  };
}

export function incomingCall(request: FastifyRequest): IncomingCall {
  return { method: request.method, url: request.url, headers: headersOf(request.headers), peer: `${request.ip}:${request.socket?.remotePort ?? 0}` };
}

/** Calls in flight that hold something open (streams, long polls), so that shutdown can end them. */
export class OpenCalls {
  private readonly calls = new Set<AbortController>();

  get size(): number {
    return this.calls.size;
  }

  /**
   * The context a service method gets for one HTTP request: aborted when the
   * client goes away before the answer is complete, or when the server shuts down.
   */
  open(request: FastifyRequest, reply: FastifyReply, method: string, sendHeader: () => void = () => {}): { ctx: CallContext; release: () => void } {
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(new CallError("cancelled", "the client went away"));
    };
    reply.raw.once("close", onClose);
    this.calls.add(controller);
    const call = incomingCall(request);
    const release = () => {
      reply.raw.off("close", onClose);
      this.calls.delete(controller);
    };
    return { ctx: { method, signal: controller.signal, headers: call.headers, peer: call.peer, sendHeader }, release };
  }

  abortAll(reason: CallError): void {
    for (const c of this.calls) c.abort(reason);
  }
}
