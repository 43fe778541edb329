import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import { ConfigError } from "../config/config";

/**
 * The OpenTelemetry SDK, set up from the `OTEL_*` variables of the
 * specification before the application starts:
 * - `OTEL_SDK_DISABLED=true`: no SDK; spans are no-ops (the trace context an
 *   event carries is still stored and delivered);
 * - `OTEL_TRACES_EXPORTER`: `none` (our default: spans are made, and their
 *   trace ids logged, but sent nowhere), `otlp` (OTLP over HTTP/protobuf,
 *   configured by `OTEL_EXPORTER_OTLP_*`), `console`, or a comma-separated list;
 * - `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`,
 *   `OTEL_BSP_*`: read by the SDK itself.
 * Returns the provider to shut down (flush) at exit, or undefined when disabled.
 */
export function startTracing(env: NodeJS.ProcessEnv, version: string): NodeTracerProvider | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": "meshstream", "service.version": version }).merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: spanProcessors(env),
  });
  provider.register();
  return provider;
}

function spanProcessors(env: NodeJS.ProcessEnv): SpanProcessor[] {
  const names = (env.OTEL_TRACES_EXPORTER || "none").split(",").map((n) => n.trim().toLowerCase()).filter(Boolean);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf";
  return names.flatMap((name): SpanProcessor[] => {
    switch (name) {
      case "none":
        return [];
      case "otlp":
        if (protocol !== "http/protobuf") {
          throw new ConfigError([`OTEL_EXPORTER_OTLP_PROTOCOL=${JSON.stringify(protocol)}: only "http/protobuf" is supported (point it at the collector's HTTP port, 4318)`]);
        }
        {
          // Loaded only when asked for: it brings protobufjs and an HTTP stack a start without an exporter does not need.
          const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto") as typeof import("@opentelemetry/exporter-trace-otlp-proto");
          return [new BatchSpanProcessor(new OTLPTraceExporter())];
        }
      case "console":
        return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
      default:
        throw new ConfigError([`OTEL_TRACES_EXPORTER=${JSON.stringify(env.OTEL_TRACES_EXPORTER)}: expected "none", "otlp" or "console" (comma-separated)`]);
    }
  });
}
