import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../../../test/harness/temp";
import { ConfigError, loadConfig } from "../config/config";
import { startBanner } from "../observability/banner";
import { clientOptions, kafkaConnection, replication } from "./kafka-connection";

describe("Kafka connection", () => {
  const kafka = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: "kafka-1.internal:9093" };

  it("maps TLS files and SASL to kafkajs's options, reading the PEM and password files", () => {
    const dir = tempDir("kafka-tls");
    for (const [name, text] of [["ca.pem", "CA"], ["c.pem", "CERT"], ["c.key", "KEY"], ["pw", "s3cret-pw\n"]]) writeFileSync(join(dir, name!), text!);
    const c = loadConfig({
      ...kafka,
      MESHSTREAM_KAFKA_TLS_CA: join(dir, "ca.pem"),
      MESHSTREAM_KAFKA_TLS_CERT: join(dir, "c.pem"),
      MESHSTREAM_KAFKA_TLS_KEY: join(dir, "c.key"),
      MESHSTREAM_KAFKA_SASL_MECHANISM: "scram-sha-256",
      MESHSTREAM_KAFKA_SASL_USERNAME: "platform",
      MESHSTREAM_KAFKA_SASL_PASSWORD_FILE: join(dir, "pw"),
    });
    expect(clientOptions(c.kafka)).toEqual({
      brokers: ["kafka-1.internal:9093"],
      ssl: { ca: "CA", cert: "CERT", key: "KEY" },
      sasl: { mechanism: "scram-sha-256", username: "platform", password: "s3cret-pw" },
    });
    expect(clientOptions(loadConfig({ ...kafka, MESHSTREAM_KAFKA_TLS: "true" }).kafka)).toEqual({ brokers: ["kafka-1.internal:9093"], ssl: true });
    expect(clientOptions(loadConfig(kafka).kafka)).toEqual({ brokers: ["kafka-1.internal:9093"] });
  });

  it("stops the start naming the variable of a file it cannot read", () => {
    const c = loadConfig({ ...kafka, MESHSTREAM_KAFKA_TLS_CA: "/nonexistent/ca.pem" });
    expect(() => clientOptions(c.kafka)).toThrow(ConfigError);
    expect(() => clientOptions(c.kafka)).toThrow(/MESHSTREAM_KAFKA_TLS_CA=\/nonexistent\/ca.pem: cannot be read \(ENOENT\)/);
  });

  it("replicates 3 times with 2 in sync on 3 brokers or more, and still works on 1; explicit values are checked against the cluster", () => {
    const auto = { replicationFactor: "auto", minInsyncReplicas: "auto" } as const;
    expect(replication(1, auto)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(replication(2, auto)).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
    expect(replication(3, auto)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replication(6, auto)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replication(5, { replicationFactor: 5, minInsyncReplicas: "auto" })).toEqual({ replicationFactor: 5, minInsyncReplicas: 2 });
    expect(() => replication(1, { replicationFactor: 3, minInsyncReplicas: "auto" })).toThrow(/MESHSTREAM_KAFKA_REPLICATION_FACTOR=3: the cluster has 1 broker/);
    expect(() => replication(3, { replicationFactor: "auto", minInsyncReplicas: 4 })).toThrow(/MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS=4: at most the replication factor \(3\)/);
  });

  it("never puts the SASL password in the start banner", () => {
    const c = loadConfig({ ...kafka, MESHSTREAM_KAFKA_TLS: "true", MESHSTREAM_KAFKA_SASL_MECHANISM: "plain", MESHSTREAM_KAFKA_SASL_USERNAME: "u", MESHSTREAM_KAFKA_SASL_PASSWORD: "hunter2-kafka" });
    expect(JSON.stringify(startBanner(c, {}))).not.toContain("hunter2-kafka");
  });

  it("fails with the reason when no broker answers", async () => {
    await expect(kafkaConnection(loadConfig({ ...kafka, MESHSTREAM_KAFKA_BROKERS: "127.0.0.1:1" }).kafka)).rejects.toThrow(/cannot reach Kafka at 127.0.0.1:1/);
  }, 30_000);
});
