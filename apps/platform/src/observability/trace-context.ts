import type { Metadata } from "@grpc/grpc-js";
import { CallError, type RequestHeaders } from "@meshstream/grpc";
import { ROOT_CONTEXT, trace, type TextMapGetter } from "@opentelemetry/api";
import { parseTraceParent, W3CTraceContextPropagator } from "@opentelemetry/core";

export const w3c = new W3CTraceContextPropagator();

export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key);
    return values.length > 0 ? values.map(String) : undefined;
  },
};

// A call's headers, whichever transport (gRPC metadata or HTTP headers): the propagator reads only the two it knows.
export const headersGetter: TextMapGetter<RequestHeaders> = {
  keys: () => ["traceparent", "tracestate"],
  get: (headers, key) => headers.get(key),
};

/**
 * The extensions of an event with the CloudEvents distributed-tracing
 * extension filled in: the event's own `traceparent`/`tracestate` when the
 * producer set them (checked, kept as given), else the trace context of the
 * call that brought it (W3C `traceparent`/`tracestate` gRPC metadata or HTTP headers). The
 * platform invents none: a trace starts where the producer started it.
 */
export function withTraceContext(extensions: Readonly<Record<string, string>> | undefined, headers: RequestHeaders | undefined): Readonly<Record<string, string>> | undefined {
  if (extensions?.traceparent !== undefined) {
    if (!parseTraceParent(extensions.traceparent)) {
      throw new CallError("invalid_argument", "extension traceparent is not a W3C traceparent (00-<32 hex trace id>-<16 hex span id>-<2 hex flags>)", [
        { field: "event.extensions.traceparent", description: "a W3C Trace Context traceparent" },
      ]);
    }
    return extensions;
  }
  if (extensions?.tracestate !== undefined) {
    throw new CallError("invalid_argument", "extension tracestate without traceparent", [{ field: "event.extensions.tracestate", description: "set only with traceparent" }]);
  }
  if (!headers?.get("traceparent")) return extensions;
  const remote = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, headers, headersGetter));
  if (!remote) return extensions;
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpanContext(ROOT_CONTEXT, remote), carrier, { set: (c, k, v) => (c[k] = v) });
  return { ...extensions, ...carrier };
}
