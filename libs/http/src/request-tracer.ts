import type { RequestHeaders } from "@meshstream/grpc";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { headersOf } from "./call-context";

/**
 * Tracing as the HTTP face sees it (the OpenTelemetry adapter lives with the
 * application): a span per request, a child of the caller's trace context, in
 * which the route runs, ended with the response's status.
 */
export interface RequestTracer {
  /** `route` is the route's pattern, "" when none matched. */
  start(method: string, route: string, headers: RequestHeaders): TracedRequest;
}

export interface TracedRequest {
  run<T>(fn: () => T): T;
  end(status: number): void;
}

/** The pattern of the route a request matched (`/catalog/types/:type`, a Connect method's path), "" when none did: a bounded label. */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? "" : (request.routeOptions.url ?? "");
}

/**
 * Traces every request from its first hook (so that one refused by
 * authentication has its span too) until its response is done or the client
 * is gone, and runs each route's handler in its request's span, whichever
 * plugin adds the route. Registered before any route.
 */
export function traceRequests(app: FastifyInstance, tracer: RequestTracer): void {
  const traced = new WeakMap<FastifyRequest, TracedRequest>();
  app.addHook("onRequest", async (request, reply) => {
    const span = tracer.start(request.method, routeOf(request), headersOf(request.headers));
    traced.set(request, span);
    reply.raw.once("close", () => span.end(reply.statusCode));
  });
  app.addHook("onRoute", (route) => {
    const handler = route.handler;
    route.handler = function (this: unknown, request, reply) {
      // Taken out: an entry left in place outlives its request by a young-generation collection, with all the request held.
      const span = traced.get(request);
      traced.delete(request);
      return span ? span.run(() => handler.call(this as never, request, reply)) : handler.call(this as never, request, reply);
    };
  });
}
