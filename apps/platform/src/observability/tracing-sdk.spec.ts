import { trace } from "@opentelemetry/api";
import { ConfigError } from "../config/config";
import { startTracing } from "./tracing-sdk";

describe("startTracing", () => {
  afterEach(() => trace.disable());

  it("sets up nothing when OTEL_SDK_DISABLED=true", () => {
    expect(startTracing({ OTEL_SDK_DISABLED: "true" }, "test")).toBeUndefined();
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: "zipkin" }, /OTEL_TRACES_EXPORTER="zipkin": expected "none", "otlp" or "console"/],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, /OTEL_EXPORTER_OTLP_PROTOCOL="grpc": only "http\/protobuf"/],
  ])("refuses %j, saying what is allowed", (env, message) => {
    expect(() => startTracing(env, "test")).toThrow(ConfigError);
    expect(() => startTracing(env, "test")).toThrow(message);
  });
});
