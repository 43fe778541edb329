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
  MESHSTREAM_VALIDATION_WORKERS: positiveInt(64).optional(),
  MESHSTREAM_VALIDATION_TIMEOUT_MS: positiveInt(600_000).default(2000),
  MESHSTREAM_VALIDATION_MEMORY_MB: z.coerce.number().int().min(0).max(4096).default(0),
  MESHSTREAM_VALIDATION_QUEUE_MB: positiveInt(4096).default(64),
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
  /** The CUE engine's pool: workers (default one per core), limits per evaluation, backlog per data product. */
  readonly validation: { readonly workers?: number; readonly timeoutMs: number; readonly memoryLimitBytes: number; readonly maxQueuedBytesPerProduct: number };
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
  const at = c.MESHSTREAM_LISTEN.lastIndexOf(":");
  return {
    listen: { host: c.MESHSTREAM_LISTEN.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(c.MESHSTREAM_LISTEN.slice(at + 1)) },
    channel: c.MESHSTREAM_CHANNEL,
    kafka: { brokers: c.MESHSTREAM_KAFKA_BROKERS, topicPrefix: c.MESHSTREAM_KAFKA_TOPIC_PREFIX },
    dataDir: c.MESHSTREAM_DATA_DIR,
    schemasDir: c.MESHSTREAM_SCHEMAS_DIR,
    logLevel: c.MESHSTREAM_LOG_LEVEL,
    maxMessageBytes: c.MESHSTREAM_MAX_MESSAGE_BYTES,
    maxEventBytes: c.MESHSTREAM_MAX_EVENT_BYTES,
    shutdownGraceMs: c.MESHSTREAM_SHUTDOWN_GRACE_MS,
    maxSchemaBytes: c.MESHSTREAM_MAX_SCHEMA_BYTES,
    validation: {
      workers: c.MESHSTREAM_VALIDATION_WORKERS,
      timeoutMs: c.MESHSTREAM_VALIDATION_TIMEOUT_MS,
      memoryLimitBytes: c.MESHSTREAM_VALIDATION_MEMORY_MB * 1024 * 1024,
      maxQueuedBytesPerProduct: c.MESHSTREAM_VALIDATION_QUEUE_MB * 1024 * 1024,
    },
  };
}
