import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("defaults to a loopback listener and the embedded channel", () => {
    const c = loadConfig({});
    expect(c.listen).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(c.channel).toBe("embedded");
    expect(c.maxEventBytes).toBe(1024 * 1024);
    expect(c.http).toEqual({ listen: { host: "127.0.0.1", port: 8080 }, corsOrigins: [], heartbeatMs: 15_000 });
    expect(c.validation).toEqual({ workers: undefined, timeoutMs: 2000, memoryLimitBytes: 0, maxQueuedBytesPerProduct: 64 * 1024 * 1024 });
  });

  it("turns the HTTP face off, or reads its address and CORS origins", () => {
    expect(loadConfig({ MESHSTREAM_HTTP_LISTEN: "off" }).http.listen).toBeUndefined();
    const c = loadConfig({ MESHSTREAM_HTTP_LISTEN: "127.0.0.2:80", MESHSTREAM_HTTP_CORS_ORIGINS: "https://app.example.com, http://localhost:3000" });
    expect(c.http.listen).toEqual({ host: "127.0.0.2", port: 80 });
    expect(c.http.corsOrigins).toEqual(["https://app.example.com", "http://localhost:3000"]);
    expect(loadConfig({ MESHSTREAM_HTTP_CORS_ORIGINS: "*" }).http.corsOrigins).toEqual(["*"]);
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
    ["MESHSTREAM_HTTP_LISTEN", "on", /MESHSTREAM_HTTP_LISTEN="on"/],
    ["MESHSTREAM_HTTP_CORS_ORIGINS", "app.example.com/x", /MESHSTREAM_HTTP_CORS_ORIGINS=.*scheme:\/\/host/],
    ["MESHSTREAM_METRICS_LISTEN", "9464", /MESHSTREAM_METRICS_LISTEN="9464"/],
    ["MESHSTREAM_VALIDATION_TIMEOUT_MS", "0", /MESHSTREAM_VALIDATION_TIMEOUT_MS="0"/],
    ["MESHSTREAM_VALIDATION_MEMORY_MB", "lots", /MESHSTREAM_VALIDATION_MEMORY_MB="lots"/],
  ])("rejects %s=%s naming the variable and what is allowed", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("serves metrics on loopback by default, elsewhere only when told it is meant (no TLS, no auth), and not at all when off", () => {
    expect(loadConfig({}).metricsListen).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(() => loadConfig({ MESHSTREAM_METRICS_LISTEN: "0.0.0.0:9100" })).toThrow(/MESHSTREAM_METRICS_LISTEN=0\.0\.0\.0:9100 serves metrics to the network without TLS or authentication/);
    const insecure = loadConfig({ MESHSTREAM_METRICS_LISTEN: "0.0.0.0:9100", MESHSTREAM_INSECURE: "true" });
    expect(insecure.metricsListen).toEqual({ host: "0.0.0.0", port: 9100 });
    expect(insecure.warnings).toEqual([expect.stringMatching(/^MESHSTREAM_METRICS_LISTEN=0\.0\.0\.0:9100 serves metrics/)]);
    expect(loadConfig({ MESHSTREAM_METRICS_LISTEN: "off" }).metricsListen).toBeUndefined();
  });

  describe("Kafka connection and topics", () => {
    const kafka = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: "kafka-1.internal:9093" };

    it("defaults to plaintext, no SASL, 1 partition, no linger, 3 requests in flight, replication decided from the cluster, a 24 h / 100,000-event idempotency window", () => {
      const c = loadConfig(kafka);
      expect(c.kafka).toEqual({ brokers: ["kafka-1.internal:9093"], topicPrefix: "meshstream.", partitions: 1, lingerMs: 0, maxInFlight: 3, replicationFactor: "auto", minInsyncReplicas: "auto" });
      expect(c.idempotency).toEqual({ ms: 24 * 3600_000, events: 100_000 });
    });

    it("reads TLS, SASL, partitions, the linger, requests in flight, replication and the idempotency window", () => {
      const c = loadConfig({
        ...kafka,
        MESHSTREAM_KAFKA_TLS_CA: "/etc/kafka/ca.pem",
        MESHSTREAM_KAFKA_TLS_CERT: "/etc/kafka/client.pem",
        MESHSTREAM_KAFKA_TLS_KEY: "/etc/kafka/client.key",
        MESHSTREAM_KAFKA_SASL_MECHANISM: "scram-sha-512",
        MESHSTREAM_KAFKA_SASL_USERNAME: "platform",
        MESHSTREAM_KAFKA_SASL_PASSWORD_FILE: "/run/secrets/kafka",
        MESHSTREAM_KAFKA_PARTITIONS: "12",
        MESHSTREAM_KAFKA_LINGER_MS: "5",
        MESHSTREAM_KAFKA_MAX_IN_FLIGHT: "1",
        MESHSTREAM_KAFKA_REPLICATION_FACTOR: "3",
        MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS: "2",
        MESHSTREAM_IDEMPOTENCY_WINDOW_MS: "60000",
        MESHSTREAM_IDEMPOTENCY_WINDOW_EVENTS: "0",
      });
      expect(c.kafka).toMatchObject({
        tls: { caFile: "/etc/kafka/ca.pem", certFile: "/etc/kafka/client.pem", keyFile: "/etc/kafka/client.key" },
        sasl: { mechanism: "scram-sha-512", username: "platform", passwordFile: "/run/secrets/kafka" },
        partitions: 12,
        lingerMs: 5,
        maxInFlight: 1,
        replicationFactor: 3,
        minInsyncReplicas: 2,
      });
      expect(c.idempotency).toEqual({ ms: 60_000, events: 0 });
      expect(loadConfig({ ...kafka, MESHSTREAM_KAFKA_TLS: "true" }).kafka.tls).toEqual({});
    });

    it.each([
      [{ MESHSTREAM_KAFKA_SASL_MECHANISM: "gssapi" }, /MESHSTREAM_KAFKA_SASL_MECHANISM="gssapi": .*"plain".*"scram-sha-256".*"scram-sha-512"/],
      [{ MESHSTREAM_KAFKA_SASL_MECHANISM: "scram-sha-256", MESHSTREAM_KAFKA_SASL_PASSWORD: "pw" }, /MESHSTREAM_KAFKA_SASL_USERNAME: required when MESHSTREAM_KAFKA_SASL_MECHANISM=scram-sha-256/],
      [{ MESHSTREAM_KAFKA_SASL_MECHANISM: "scram-sha-256", MESHSTREAM_KAFKA_SASL_USERNAME: "u" }, /MESHSTREAM_KAFKA_SASL_PASSWORD or MESHSTREAM_KAFKA_SASL_PASSWORD_FILE: set exactly one/],
      [{ MESHSTREAM_KAFKA_SASL_USERNAME: "u", MESHSTREAM_KAFKA_SASL_PASSWORD: "pw" }, /MESHSTREAM_KAFKA_SASL_USERNAME: set MESHSTREAM_KAFKA_SASL_MECHANISM/],
      [{ MESHSTREAM_KAFKA_SASL_MECHANISM: "plain", MESHSTREAM_KAFKA_SASL_USERNAME: "u", MESHSTREAM_KAFKA_SASL_PASSWORD: "pw" }, /plain sends the password in clear to kafka-1.internal:9093: set MESHSTREAM_KAFKA_TLS=true/],
      [{ MESHSTREAM_KAFKA_TLS_CERT: "/c.pem" }, /MESHSTREAM_KAFKA_TLS_CERT and MESHSTREAM_KAFKA_TLS_KEY: set both/],
      [{ MESHSTREAM_KAFKA_TLS: "yes" }, /MESHSTREAM_KAFKA_TLS="yes"/],
      [{ MESHSTREAM_KAFKA_REPLICATION_FACTOR: "0" }, /MESHSTREAM_KAFKA_REPLICATION_FACTOR="0"/],
      [{ MESHSTREAM_KAFKA_REPLICATION_FACTOR: "2", MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS: "3" }, /MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS=3: at most MESHSTREAM_KAFKA_REPLICATION_FACTOR \(2\)/],
      [{ MESHSTREAM_KAFKA_PARTITIONS: "many" }, /MESHSTREAM_KAFKA_PARTITIONS="many"/],
      [{ MESHSTREAM_KAFKA_LINGER_MS: "-5" }, /MESHSTREAM_KAFKA_LINGER_MS="-5"/],
      [{ MESHSTREAM_KAFKA_MAX_IN_FLIGHT: "0" }, /MESHSTREAM_KAFKA_MAX_IN_FLIGHT="0"/],
      [{ MESHSTREAM_IDEMPOTENCY_WINDOW_MS: "0" }, /MESHSTREAM_IDEMPOTENCY_WINDOW_MS="0"/],
      [{ MESHSTREAM_IDEMPOTENCY_WINDOW_EVENTS: "-1" }, /MESHSTREAM_IDEMPOTENCY_WINDOW_EVENTS="-1"/],
    ])("refuses %j naming the variable", (env, message) => {
      expect(() => loadConfig({ ...kafka, ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ ...kafka, ...env })).toThrow(message);
    });

    it("lets SASL PLAIN go in clear to loopback, or elsewhere only when told it is meant (and then warns), and never prints the password", () => {
      const plain = { MESHSTREAM_KAFKA_SASL_MECHANISM: "plain", MESHSTREAM_KAFKA_SASL_USERNAME: "u", MESHSTREAM_KAFKA_SASL_PASSWORD: "hunter2-kafka" };
      expect(loadConfig({ ...kafka, ...plain, MESHSTREAM_KAFKA_BROKERS: "127.0.0.1:9092" }).warnings).toEqual([]);
      expect(loadConfig({ ...kafka, ...plain, MESHSTREAM_KAFKA_TLS: "true" }).warnings).toEqual([]);
      const insecure = loadConfig({ ...kafka, ...plain, MESHSTREAM_INSECURE: "true" });
      expect(insecure.warnings).toEqual([expect.stringMatching(/^MESHSTREAM_KAFKA_SASL_MECHANISM=plain sends the password in clear/)]);
      expect(insecure.kafka.sasl).toEqual({ mechanism: "plain", username: "u", password: "hunter2-kafka" });
      const err = (() => {
        try {
          loadConfig({ ...kafka, ...plain });
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err?.message).not.toContain("hunter2-kafka");
    });
  });

  it("requires brokers for the kafka channel", () => {
    expect(() => loadConfig({ MESHSTREAM_CHANNEL: "kafka" })).toThrow(/MESHSTREAM_KAFKA_BROKERS: required/);
  });

  describe("security", () => {
    const tls = { MESHSTREAM_TLS_CERT: "tls.pem", MESHSTREAM_TLS_KEY: "tls.key" };
    const jwt = { MESHSTREAM_AUTH: "jwt", MESHSTREAM_JWKS: "jwks.json", MESHSTREAM_JWT_ISSUER: "https://idp", MESHSTREAM_JWT_AUDIENCE: "meshstream" };

    it("needs no set-up on loopback: plaintext, auth none, no warning", () => {
      const c = loadConfig({});
      expect(c.tls).toBeUndefined();
      expect(c.auth).toEqual({ mode: "none", admins: [] });
      expect(c.warnings).toEqual([]);
      expect(loadConfig({ MESHSTREAM_LISTEN: "[::1]:1" }).warnings).toEqual([]);
      expect(loadConfig({ MESHSTREAM_LISTEN: "localhost:1" }).warnings).toEqual([]);
    });

    it.each([
      ["plaintext and no auth", {}],
      ["TLS but no auth", tls],
      ["auth but plaintext", jwt],
    ])("refuses a non-loopback listener with %s, saying why", (_what, env) => {
      expect(() => loadConfig({ MESHSTREAM_LISTEN: "0.0.0.0:50051", ...env })).toThrow(/MESHSTREAM_LISTEN=0\.0\.0\.0:50051 is reachable from the network, .*MESHSTREAM_INSECURE=true to accept this/);
    });

    it("holds the HTTP listener to the same rule (it shares the TLS files and the authentication)", () => {
      expect(() => loadConfig({ MESHSTREAM_HTTP_LISTEN: "0.0.0.0:8080" })).toThrow(/MESHSTREAM_HTTP_LISTEN=0\.0\.0\.0:8080 is reachable from the network, .*MESHSTREAM_INSECURE=true to accept this/);
      expect(loadConfig({ MESHSTREAM_HTTP_LISTEN: "0.0.0.0:8080", ...tls, ...jwt }).warnings).toEqual([]);
      expect(loadConfig({ MESHSTREAM_HTTP_LISTEN: "0.0.0.0:8080", MESHSTREAM_INSECURE: "true" }).warnings).toEqual([expect.stringMatching(/^MESHSTREAM_HTTP_LISTEN=0\.0\.0\.0:8080 is reachable/)]);
      expect(loadConfig({ MESHSTREAM_HTTP_LISTEN: "off" }).warnings).toEqual([]);
    });

    it("accepts a non-loopback listener with TLS and auth", () => {
      const c = loadConfig({ MESHSTREAM_LISTEN: "0.0.0.0:50051", ...tls, ...jwt, MESHSTREAM_ADMINS: "root, group:platform" });
      expect(c.tls).toEqual({ cert: "tls.pem", key: "tls.key" });
      expect(c.auth).toEqual({ mode: "jwt", jwt: { jwks: "jwks.json", issuer: "https://idp", audience: "meshstream", groupsClaim: "groups" }, admins: ["root", "group:platform"] });
      expect(c.warnings).toEqual([]);
    });

    it("with MESHSTREAM_INSECURE=true starts anyway, with a warning to log at every start", () => {
      const c = loadConfig({ MESHSTREAM_LISTEN: "10.1.2.3:50051", MESHSTREAM_INSECURE: "true" });
      expect(c.warnings).toEqual([
        "MESHSTREAM_LISTEN=10.1.2.3:50051 is reachable from the network, without TLS (MESHSTREAM_TLS_CERT, MESHSTREAM_TLS_KEY) and with MESHSTREAM_AUTH=none: MESHSTREAM_INSECURE=true, so anyone who reaches it is trusted and sees plaintext",
      ]);
    });

    it.each([
      [{ MESHSTREAM_TLS_CERT: "tls.pem" }, /MESHSTREAM_TLS_CERT and MESHSTREAM_TLS_KEY: set both/],
      [{ MESHSTREAM_TLS_CLIENT_CA: "ca.pem" }, /MESHSTREAM_TLS_CLIENT_CA: client certificates need TLS/],
      [{ MESHSTREAM_AUTH: "jwt" }, /MESHSTREAM_JWKS: required when MESHSTREAM_AUTH=jwt[^]*MESHSTREAM_JWT_ISSUER: required[^]*MESHSTREAM_JWT_AUDIENCE: required/],
      [{ MESHSTREAM_AUTH: "mtls", ...tls }, /MESHSTREAM_TLS_CLIENT_CA: required when MESHSTREAM_AUTH=mtls/],
      [{ MESHSTREAM_AUTH: "ldap" }, /MESHSTREAM_AUTH="ldap"/],
      [{ MESHSTREAM_INSECURE: "yes" }, /MESHSTREAM_INSECURE="yes"/],
    ])("rejects an incomplete set-up: %j", (env, message) => {
      expect(() => loadConfig(env)).toThrow(message);
    });
  });
});
