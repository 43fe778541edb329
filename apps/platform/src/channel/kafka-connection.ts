import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { ConfigError, type KafkaSettings } from "../config/config";

/** What every Kafka client of the platform (channel, catalog, probe) connects with, and how the topics it creates are replicated. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly ssl?: ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

/** kafkajs's TLS and SASL options, the PEM files and the password file read now: one that cannot be read stops the start, naming its variable. */
export function clientOptions(k: KafkaSettings): Pick<KafkaConnection, "brokers" | "ssl" | "sasl"> {
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError([`${variable}=${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
  };
  const ssl = k.tls && {
    ...(k.tls.caFile ? { ca: read("MESHSTREAM_KAFKA_TLS_CA", k.tls.caFile) } : {}),
    ...(k.tls.certFile ? { cert: read("MESHSTREAM_KAFKA_TLS_CERT", k.tls.certFile), key: read("MESHSTREAM_KAFKA_TLS_KEY", k.tls.keyFile!) } : {}),
  };
  const sasl =
    k.sasl &&
    ({
      mechanism: k.sasl.mechanism,
      username: k.sasl.username,
      password: k.sasl.password ?? read("MESHSTREAM_KAFKA_SASL_PASSWORD_FILE", k.sasl.passwordFile!).trim(),
    } as SASLOptions);
  return {
    brokers: k.brokers,
    // An empty object is TLS with the system's CAs; kafkajs wants `true` for it.
    ...(ssl ? { ssl: Object.keys(ssl).length > 0 ? ssl : true } : {}),
    ...(sasl ? { sasl } : {}),
  };
}

/**
 * The replication of the topics the platform creates. "auto" is safe on a
 * cluster of three or more brokers (3 copies, writes need 2: one broker may
 * be down) and still works on one (1 copy, 1 needed).
 */
export function replication(brokersInCluster: number, k: Pick<KafkaSettings, "replicationFactor" | "minInsyncReplicas">): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = k.replicationFactor === "auto" ? Math.min(3, brokersInCluster) : k.replicationFactor;
  if (replicationFactor > brokersInCluster) {
    throw new ConfigError([`MESHSTREAM_KAFKA_REPLICATION_FACTOR=${replicationFactor}: the cluster has ${brokersInCluster} broker(s); topics cannot have more copies than brokers`]);
  }
  const minInsyncReplicas = k.minInsyncReplicas === "auto" ? Math.max(1, Math.min(2, replicationFactor - 1)) : k.minInsyncReplicas;
  if (minInsyncReplicas > replicationFactor) {
    throw new ConfigError([`MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS=${minInsyncReplicas}: at most the replication factor (${replicationFactor}), or no write could ever succeed`]);
  }
  return { replicationFactor, minInsyncReplicas };
}

/** Connects once to learn the cluster's size (for "auto"); fails the start with the reason when the brokers cannot be reached or refuse the credentials. */
export async function kafkaConnection(k: KafkaSettings): Promise<KafkaConnection> {
  const client = clientOptions(k);
  const admin = new Kafka({ clientId: "meshstream-setup", ...client, brokers: [...client.brokers], logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 3 } }).admin();
  let brokersInCluster: number;
  try {
    await admin.connect();
    brokersInCluster = (await admin.describeCluster()).brokers.length;
  } catch (err) {
    throw new Error(`cannot reach Kafka at ${k.brokers.join(",")}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return { ...client, topicPrefix: k.topicPrefix, partitions: k.partitions, ...replication(brokersInCluster, k) };
}
