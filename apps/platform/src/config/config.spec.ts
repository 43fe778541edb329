import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("defaults to a loopback listener and the embedded channel", () => {
    const c = loadConfig({});
    expect(c.listen).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(c.channel).toBe("embedded");
    expect(c.maxEventBytes).toBe(1024 * 1024);
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
    ["MESHSTREAM_METRICS_LISTEN", "9464", /MESHSTREAM_METRICS_LISTEN="9464"/],
  ])("rejects %s=%s naming the variable and what is allowed", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("serves metrics on loopback by default, elsewhere when told, and not at all when off", () => {
    expect(loadConfig({}).metricsListen).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(loadConfig({ MESHSTREAM_METRICS_LISTEN: "0.0.0.0:9100" }).metricsListen).toEqual({ host: "0.0.0.0", port: 9100 });
    expect(loadConfig({ MESHSTREAM_METRICS_LISTEN: "off" }).metricsListen).toBeUndefined();
  });

  it("requires brokers for the kafka channel", () => {
    expect(() => loadConfig({ MESHSTREAM_CHANNEL: "kafka" })).toThrow(/MESHSTREAM_KAFKA_BROKERS: required/);
  });
});
