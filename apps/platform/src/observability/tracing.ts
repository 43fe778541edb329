import type { Metadata } from "@grpc/grpc-js";
import type { CallTracer, RequestHeaders, TracedCall } from "@meshstream/grpc";
import type { RequestTracer, TracedRequest } from "@meshstream/http";
import { context, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type TextMapGetter, type Tracer } from "@opentelemetry/api";
import { headersGetter, metadataGetter, w3c } from "./trace-context";

/** Every span of the platform comes from this tracer: a no-op until an SDK is registered (see tracing-sdk.ts). */
export const platformTracer = (): Tracer => trace.getTracer("meshstream");

// OpenTelemetry's gRPC conventions: on the server, only these codes make a span an error; the rest are the client's.
const serverErrors = new Set([2, 4, 12, 13, 14, 15]);

/** A SERVER span, a child of the W3C trace context its carrier (call metadata, HTTP headers) brings, a root when none; and how to run code in it. */
function serverSpan<C>(tracer: Tracer, name: string, attributes: Attributes, carrier: C, getter: TextMapGetter<C>): { span: Span; run: <T>(fn: () => T) => T } {
  const parent = getter.get(carrier, "traceparent") ? w3c.extract(ROOT_CONTEXT, carrier, getter) : ROOT_CONTEXT;
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const active = trace.setSpan(parent, span);
  return { span, run: (fn) => context.with(active, fn) };
}

/** A SERVER span per gRPC call, a child of the caller's W3C trace context, named after the method. */
export class GrpcCallTracer implements CallTracer {
  constructor(private readonly tracer: Tracer = platformTracer()) {}

  start(method: string, metadata: Metadata): TracedCall {
    const [service, name] = method.split("/");
    const { span, run } = serverSpan(this.tracer, method, { "rpc.system": "grpc", "rpc.service": service, "rpc.method": name }, metadata, metadataGetter);
    const spanContext = span.spanContext();
    return {
      traceId: isSpanContextValid(spanContext) ? spanContext.traceId : undefined,
      run,
      end: (code, message) => {
        span.setAttribute("rpc.grpc.status_code", code);
        if (serverErrors.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message });
        span.end();
      },
    };
  }
}

/** A SERVER span per HTTP request, a child of the caller's W3C trace context, named `<method> <route>` (OpenTelemetry's HTTP conventions). */
export class HttpRequestTracer implements RequestTracer {
  constructor(private readonly tracer: Tracer = platformTracer()) {}

  start(method: string, route: string, headers: RequestHeaders): TracedRequest {
    const { span, run } = serverSpan(this.tracer, route ? `${method} ${route}` : method, { "http.request.method": method, ...(route ? { "http.route": route } : {}) }, headers, headersGetter);
    let ended = false;
    return {
      run,
      end: (status) => {
        if (ended) return;
        ended = true;
        span.setAttribute("http.response.status_code", status);
        // As for gRPC: only the server's failures make the span an error; a 4xx is the client's.
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }
}

/**
 * A child span of the current one around `fn` (validate, store), recording a
 * failure on it. Not made the active span: nothing inside makes spans, and
 * entering a context costs more than the span itself.
 */
export function inSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return endSpan(platformTracer().startSpan(name), fn());
}

/** Ends `span` when `work` settles, recording its failure. */
export function endSpan<T>(span: Span, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      span.end();
      throw err;
    },
  );
}
