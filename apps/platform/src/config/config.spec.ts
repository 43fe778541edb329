import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("defaults to a loopback listener and the embedded channel", () => {
    const c = loadConfig({});
    expect(c.listen).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(c.channel).toBe("embedded");
    expect(c.maxEventBytes).toBe(1024 * 1024);
    expect(c.validation).toEqual({ workers: undefined, timeoutMs: 2000, memoryLimitBytes: 0, maxQueuedBytesPerProduct: 64 * 1024 * 1024 });
  });

  it("reads the validation pool's limits", () => {
    const c = loadConfig({ MESHSTREAM_VALIDATION_WORKERS: "3", MESHSTREAM_VALIDATION_TIMEOUT_MS: "500", MESHSTREAM_VALIDATION_MEMORY_MB: "128", MESHSTREAM_VALIDATION_QUEUE_MB: "8" });
    expect(c.validation).toEqual({ workers: 3, timeoutMs: 500, memoryLimitBytes: 128 * 1024 * 1024, maxQueuedBytesPerProduct: 8 * 1024 * 1024 });
  });

  it("reads every variable", () => {
    const c = loadConfig({
      MESHSTREAM_LISTEN: "[::1]:7000",
      MESHSTREAM_CHANNEL: "kafka",
      MESHSTREAM_KAFKA_BROKERS: "127.0.0.1:9092, 127.0.0.1:9093",
      MESHSTREAM_MAX_MESSAGE_BYTES: "1024",
      MESHSTREAM_LOG_LEVEL: "debug",
    });
    expect(c.listen).toEqual({ host: "::1", port: 7000 });
    expect(c.kafka.brokers).toEqual(["127.0.0.1:9092", "127.0.0.1:9093"]);
    expect(c.maxMessageBytes).toBe(1024);
    expect(c.logLevel).toBe("debug");
  });

  it.each([
    ["MESHSTREAM_LISTEN", "localhost", /MESHSTREAM_LISTEN="localhost": expected host:port/],
    ["MESHSTREAM_LISTEN", "127.0.0.1:70000", /MESHSTREAM_LISTEN=.*port must be at most 65535/],
    ["MESHSTREAM_CHANNEL", "rabbit", /MESHSTREAM_CHANNEL="rabbit": .*"embedded".*"kafka"/],
    ["MESHSTREAM_MAX_MESSAGE_BYTES", "-5", /MESHSTREAM_MAX_MESSAGE_BYTES="-5"/],
    ["MESHSTREAM_MAX_MESSAGE_BYTES", "lots", /MESHSTREAM_MAX_MESSAGE_BYTES="lots"/],
    ["MESHSTREAM_LOG_LEVEL", "loud", /MESHSTREAM_LOG_LEVEL="loud"/],
    ["MESHSTREAM_VALIDATION_TIMEOUT_MS", "0", /MESHSTREAM_VALIDATION_TIMEOUT_MS="0"/],
    ["MESHSTREAM_VALIDATION_MEMORY_MB", "lots", /MESHSTREAM_VALIDATION_MEMORY_MB="lots"/],
  ])("rejects %s=%s naming the variable and what is allowed", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("requires brokers for the kafka channel", () => {
    expect(() => loadConfig({ MESHSTREAM_CHANNEL: "kafka" })).toThrow(/MESHSTREAM_KAFKA_BROKERS: required/);
  });
});
