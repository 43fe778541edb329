import { z } from "zod";

const logLevels = ["error", "warn", "log", "debug", "verbose"] as const;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "expected host:port, e.g. 127.0.0.1:50051")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port must be at most 65535");

const positiveInt = (max: number) => z.coerce.number().int().positive().max(max);

/**
 * Every setting the platform reads, from environment variables. The keys are
 * the variable names, so an error names exactly what to fix.
 */
const schema = z.object({
  MESHSTREAM_LISTEN: hostPort.default("127.0.0.1:50051"),
  MESHSTREAM_CHANNEL: z.enum(["embedded", "kafka"]).default("embedded"),
  MESHSTREAM_KAFKA_BROKERS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(hostPort)),
  MESHSTREAM_KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only").default("meshstream."),
  MESHSTREAM_DATA_DIR: z.string().min(1).default(".meshstream/data"),
  MESHSTREAM_SCHEMAS_DIR: z.string().min(1).default("schemas"),
  MESHSTREAM_LOG_LEVEL: z.enum(logLevels).default("log"),
  MESHSTREAM_MAX_MESSAGE_BYTES: positiveInt(256 * 1024 * 1024).default(4 * 1024 * 1024),
  MESHSTREAM_MAX_EVENT_BYTES: positiveInt(256 * 1024 * 1024).default(1024 * 1024),
  MESHSTREAM_SHUTDOWN_GRACE_MS: positiveInt(600_000).default(10_000),
  MESHSTREAM_MAX_SCHEMA_BYTES: positiveInt(16 * 1024 * 1024).default(256 * 1024),
  MESHSTREAM_METRICS_LISTEN: z.union([z.literal("off"), hostPort]).default("127.0.0.1:9464"),
});

export type LogLevel = (typeof logLevels)[number];

export interface PlatformConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly channel: "embedded" | "kafka";
  readonly kafka: { readonly brokers: readonly string[]; readonly topicPrefix: string };
  readonly dataDir: string;
  readonly schemasDir: string;
  readonly logLevel: LogLevel;
  readonly maxMessageBytes: number;
  readonly maxEventBytes: number;
  readonly shutdownGraceMs: number;
  readonly maxSchemaBytes: number;
  /** Where Prometheus scrapes /metrics; undefined when MESHSTREAM_METRICS_LISTEN=off. */
  readonly metricsListen?: { readonly host: string; readonly port: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads and checks the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): PlatformConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])] ?? "")}: ${i.message}`),
    );
  }
  const c = parsed.data;
  if (c.MESHSTREAM_CHANNEL === "kafka" && c.MESHSTREAM_KAFKA_BROKERS.length === 0) {
    throw new ConfigError(["MESHSTREAM_KAFKA_BROKERS: required when MESHSTREAM_CHANNEL=kafka (e.g. 127.0.0.1:9092)"]);
  }
  return {
    listen: hostAndPort(c.MESHSTREAM_LISTEN),
    channel: c.MESHSTREAM_CHANNEL,
    kafka: { brokers: c.MESHSTREAM_KAFKA_BROKERS, topicPrefix: c.MESHSTREAM_KAFKA_TOPIC_PREFIX },
    dataDir: c.MESHSTREAM_DATA_DIR,
    schemasDir: c.MESHSTREAM_SCHEMAS_DIR,
    logLevel: c.MESHSTREAM_LOG_LEVEL,
    maxMessageBytes: c.MESHSTREAM_MAX_MESSAGE_BYTES,
    maxEventBytes: c.MESHSTREAM_MAX_EVENT_BYTES,
    shutdownGraceMs: c.MESHSTREAM_SHUTDOWN_GRACE_MS,
    maxSchemaBytes: c.MESHSTREAM_MAX_SCHEMA_BYTES,
    ...(c.MESHSTREAM_METRICS_LISTEN === "off" ? {} : { metricsListen: hostAndPort(c.MESHSTREAM_METRICS_LISTEN) }),
  };
}

function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(address.slice(at + 1)) };
}
