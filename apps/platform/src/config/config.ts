import { z } from "zod";

const logLevels = ["error", "warn", "log", "debug", "verbose"] as const;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "expected host:port, e.g. 127.0.0.1:50051")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port must be at most 65535");

const positiveInt = (max: number) => z.coerce.number().int().positive().max(max);

const commaList = z
  .string()
  .default("")
  .transform((v) => v.split(",").map((b) => b.trim()).filter(Boolean));

/**
 * Every setting the platform reads, from environment variables. The keys are
 * the variable names, so an error names exactly what to fix.
 */
const schema = z.object({
  MESHSTREAM_LISTEN: hostPort.default("127.0.0.1:50051"),
  MESHSTREAM_CHANNEL: z.enum(["embedded", "kafka"]).default("embedded"),
  MESHSTREAM_KAFKA_BROKERS: commaList.pipe(z.array(hostPort)),
  MESHSTREAM_KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only").default("meshstream."),
  MESHSTREAM_KAFKA_TLS: z.enum(["true", "false"]).default("false"),
  MESHSTREAM_KAFKA_TLS_CA: z.string().min(1).optional(),
  MESHSTREAM_KAFKA_TLS_CERT: z.string().min(1).optional(),
  MESHSTREAM_KAFKA_TLS_KEY: z.string().min(1).optional(),
  MESHSTREAM_KAFKA_SASL_MECHANISM: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).optional(),
  MESHSTREAM_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  MESHSTREAM_KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  MESHSTREAM_KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
  MESHSTREAM_KAFKA_PARTITIONS: positiveInt(10_000).default(1),
  MESHSTREAM_KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(0),
  MESHSTREAM_KAFKA_MAX_IN_FLIGHT: positiveInt(16).default(3),
  MESHSTREAM_KAFKA_REPLICATION_FACTOR: z.union([z.literal("auto"), positiveInt(32)]).default("auto"),
  MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS: z.union([z.literal("auto"), positiveInt(32)]).default("auto"),
  MESHSTREAM_IDEMPOTENCY_WINDOW_MS: positiveInt(30 * 24 * 3600_000).default(24 * 3600_000),
  MESHSTREAM_IDEMPOTENCY_WINDOW_EVENTS: z.coerce.number().int().min(0).max(100_000_000).default(100_000),
  MESHSTREAM_DATA_DIR: z.string().min(1).default(".meshstream/data"),
  MESHSTREAM_SCHEMAS_DIR: z.string().min(1).default("schemas"),
  MESHSTREAM_LOG_LEVEL: z.enum(logLevels).default("log"),
  MESHSTREAM_MAX_MESSAGE_BYTES: positiveInt(256 * 1024 * 1024).default(4 * 1024 * 1024),
  MESHSTREAM_MAX_EVENT_BYTES: positiveInt(256 * 1024 * 1024).default(1024 * 1024),
  MESHSTREAM_SHUTDOWN_GRACE_MS: positiveInt(600_000).default(10_000),
  MESHSTREAM_MAX_SCHEMA_BYTES: positiveInt(16 * 1024 * 1024).default(256 * 1024),
  MESHSTREAM_TLS_CERT: z.string().min(1).optional(),
  MESHSTREAM_TLS_KEY: z.string().min(1).optional(),
  MESHSTREAM_TLS_CLIENT_CA: z.string().min(1).optional(),
  MESHSTREAM_INSECURE: z.enum(["true", "false"]).default("false"),
  MESHSTREAM_AUTH: z.enum(["none", "jwt", "mtls"]).default("none"),
  MESHSTREAM_JWKS: z.string().min(1).optional(),
  MESHSTREAM_JWT_ISSUER: z.string().min(1).optional(),
  MESHSTREAM_JWT_AUDIENCE: z.string().min(1).optional(),
  MESHSTREAM_JWT_GROUPS_CLAIM: z.string().min(1).default("groups"),
  MESHSTREAM_ADMINS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((p) => p.trim()).filter(Boolean)),
  MESHSTREAM_HTTP_LISTEN: z.union([z.literal("off"), hostPort]).default("127.0.0.1:8080"),
  MESHSTREAM_HTTP_CORS_ORIGINS: commaList.pipe(z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, "origins such as https://app.example.com (scheme://host[:port]) or *"))),
  MESHSTREAM_HTTP_HEARTBEAT_MS: positiveInt(600_000).default(15_000),
  MESHSTREAM_METRICS_LISTEN: z.union([z.literal("off"), hostPort]).default("127.0.0.1:9464"),
  MESHSTREAM_VALIDATION_WORKERS: positiveInt(64).optional(),
  MESHSTREAM_VALIDATION_TIMEOUT_MS: positiveInt(600_000).default(2000),
  MESHSTREAM_VALIDATION_MEMORY_MB: z.coerce.number().int().min(0).max(4096).default(0),
  MESHSTREAM_VALIDATION_QUEUE_MB: positiveInt(4096).default(64),
});

export type LogLevel = (typeof logLevels)[number];

/** How the platform reaches Kafka and what the topics it creates look like ("auto": decided from the cluster's size at start). */
export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  /** TLS to the brokers; the files are PEM, read at start. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly sasl?: { readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; readonly username: string; readonly password?: string; readonly passwordFile?: string };
  readonly partitions: number;
  /** How long a produce request waits for more events while publishes keep coming (Kafka's linger.ms). */
  readonly lingerMs: number;
  /** Produce requests in flight at once, each through an idempotent producer of its own. */
  readonly maxInFlight: number;
  readonly replicationFactor: number | "auto";
  readonly minInsyncReplicas: number | "auto";
}

export interface PlatformConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly channel: "embedded" | "kafka";
  readonly kafka: KafkaSettings;
  /** How far back a repeated (source, id) is answered with its first receipt instead of stored again (events: 0 = off). */
  readonly idempotency: { readonly ms: number; readonly events: number };
  readonly dataDir: string;
  readonly schemasDir: string;
  readonly logLevel: LogLevel;
  readonly maxMessageBytes: number;
  readonly maxEventBytes: number;
  readonly shutdownGraceMs: number;
  readonly maxSchemaBytes: number;
  /** TLS on the listener, with client certificates checked against clientCa (mTLS) when set. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
  readonly auth: {
    readonly mode: "none" | "jwt" | "mtls";
    readonly jwt?: { readonly jwks: string; readonly issuer: string; readonly audience: string; readonly groupsClaim: string };
    readonly admins: readonly string[];
  };
  /** Said at every start: what MESHSTREAM_INSECURE=true lets through. */
  readonly warnings: readonly string[];
  readonly http: {
    /** Absent when the HTTP face is off. */
    readonly listen?: { readonly host: string; readonly port: number };
    readonly corsOrigins: readonly string[];
    readonly heartbeatMs: number;
  };
  /** Where Prometheus scrapes /metrics; undefined when MESHSTREAM_METRICS_LISTEN=off. */
  readonly metricsListen?: { readonly host: string; readonly port: number };
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
  const kafka = kafkaSettings(c);
  const listen = splitHostPort(c.MESHSTREAM_LISTEN);
  const metricsListen = c.MESHSTREAM_METRICS_LISTEN === "off" ? undefined : splitHostPort(c.MESHSTREAM_METRICS_LISTEN);
  const httpListen = c.MESHSTREAM_HTTP_LISTEN === "off" ? undefined : splitHostPort(c.MESHSTREAM_HTTP_LISTEN);
  const { tls, auth, warnings } = security(c, [
    ["MESHSTREAM_LISTEN", c.MESHSTREAM_LISTEN, listen.host],
    ...(httpListen ? [["MESHSTREAM_HTTP_LISTEN", c.MESHSTREAM_HTTP_LISTEN, httpListen.host] as const] : []),
  ], metricsListen ? ["MESHSTREAM_METRICS_LISTEN", c.MESHSTREAM_METRICS_LISTEN, metricsListen.host] : undefined);
  return {
    listen,
    channel: c.MESHSTREAM_CHANNEL,
    kafka: kafka.kafka,
    idempotency: { ms: c.MESHSTREAM_IDEMPOTENCY_WINDOW_MS, events: c.MESHSTREAM_IDEMPOTENCY_WINDOW_EVENTS },
    dataDir: c.MESHSTREAM_DATA_DIR,
    schemasDir: c.MESHSTREAM_SCHEMAS_DIR,
    logLevel: c.MESHSTREAM_LOG_LEVEL,
    maxMessageBytes: c.MESHSTREAM_MAX_MESSAGE_BYTES,
    maxEventBytes: c.MESHSTREAM_MAX_EVENT_BYTES,
    shutdownGraceMs: c.MESHSTREAM_SHUTDOWN_GRACE_MS,
    maxSchemaBytes: c.MESHSTREAM_MAX_SCHEMA_BYTES,
    tls,
    auth,
    warnings: [...warnings, ...kafka.warnings],
    http: {
      ...(httpListen ? { listen: httpListen } : {}),
      corsOrigins: c.MESHSTREAM_HTTP_CORS_ORIGINS,
      heartbeatMs: c.MESHSTREAM_HTTP_HEARTBEAT_MS,
    },
    ...(metricsListen ? { metricsListen } : {}),
    validation: {
      workers: c.MESHSTREAM_VALIDATION_WORKERS,
      timeoutMs: c.MESHSTREAM_VALIDATION_TIMEOUT_MS,
      memoryLimitBytes: c.MESHSTREAM_VALIDATION_MEMORY_MB * 1024 * 1024,
      maxQueuedBytesPerProduct: c.MESHSTREAM_VALIDATION_QUEUE_MB * 1024 * 1024,
    },
  };
}

/**
 * TLS and SASL to the brokers, and the topics' replication. SASL PLAIN sends
 * the password as it is: to a broker beyond loopback only over TLS, unless
 * MESHSTREAM_INSECURE=true.
 */
function kafkaSettings(c: z.infer<typeof schema>): { kafka: KafkaSettings; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!c.MESHSTREAM_KAFKA_TLS_CERT !== !c.MESHSTREAM_KAFKA_TLS_KEY) problems.push("MESHSTREAM_KAFKA_TLS_CERT and MESHSTREAM_KAFKA_TLS_KEY: set both (PEM files, a client certificate for the brokers) or neither");
  const tlsOn = c.MESHSTREAM_KAFKA_TLS === "true" || !!c.MESHSTREAM_KAFKA_TLS_CA || !!c.MESHSTREAM_KAFKA_TLS_CERT;
  const mechanism = c.MESHSTREAM_KAFKA_SASL_MECHANISM;
  if (mechanism) {
    if (!c.MESHSTREAM_KAFKA_SASL_USERNAME) problems.push(`MESHSTREAM_KAFKA_SASL_USERNAME: required when MESHSTREAM_KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!c.MESHSTREAM_KAFKA_SASL_PASSWORD === !c.MESHSTREAM_KAFKA_SASL_PASSWORD_FILE) {
      problems.push(`MESHSTREAM_KAFKA_SASL_PASSWORD or MESHSTREAM_KAFKA_SASL_PASSWORD_FILE: set exactly one when MESHSTREAM_KAFKA_SASL_MECHANISM=${mechanism}`);
    }
    const remote = c.MESHSTREAM_KAFKA_BROKERS.filter((b) => !isLoopback(splitHostPort(b).host));
    if (mechanism === "plain" && !tlsOn && remote.length > 0) {
      const what = `MESHSTREAM_KAFKA_SASL_MECHANISM=plain sends the password in clear to ${remote.join(",")}`;
      if (c.MESHSTREAM_INSECURE === "true") warnings.push(`${what}: MESHSTREAM_INSECURE=true`);
      else problems.push(`${what}: set MESHSTREAM_KAFKA_TLS=true, use scram-sha-512, or set MESHSTREAM_INSECURE=true to accept this`);
    }
  } else {
    for (const name of ["MESHSTREAM_KAFKA_SASL_USERNAME", "MESHSTREAM_KAFKA_SASL_PASSWORD", "MESHSTREAM_KAFKA_SASL_PASSWORD_FILE"] as const) {
      if (c[name]) problems.push(`${name}: set MESHSTREAM_KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512) too`);
    }
  }
  const rf = c.MESHSTREAM_KAFKA_REPLICATION_FACTOR;
  const isr = c.MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS;
  if (rf !== "auto" && isr !== "auto" && isr > rf) problems.push(`MESHSTREAM_KAFKA_MIN_INSYNC_REPLICAS=${isr}: at most MESHSTREAM_KAFKA_REPLICATION_FACTOR (${rf}), or no write could ever succeed`);
  if (problems.length > 0) throw new ConfigError(problems);
  const kafka: KafkaSettings = {
    brokers: c.MESHSTREAM_KAFKA_BROKERS,
    topicPrefix: c.MESHSTREAM_KAFKA_TOPIC_PREFIX,
    ...(tlsOn
      ? {
          tls: {
            ...(c.MESHSTREAM_KAFKA_TLS_CA ? { caFile: c.MESHSTREAM_KAFKA_TLS_CA } : {}),
            ...(c.MESHSTREAM_KAFKA_TLS_CERT ? { certFile: c.MESHSTREAM_KAFKA_TLS_CERT, keyFile: c.MESHSTREAM_KAFKA_TLS_KEY } : {}),
          },
        }
      : {}),
    ...(mechanism
      ? {
          sasl: {
            mechanism,
            username: c.MESHSTREAM_KAFKA_SASL_USERNAME!,
            ...(c.MESHSTREAM_KAFKA_SASL_PASSWORD ? { password: c.MESHSTREAM_KAFKA_SASL_PASSWORD } : { passwordFile: c.MESHSTREAM_KAFKA_SASL_PASSWORD_FILE }),
          },
        }
      : {}),
    partitions: c.MESHSTREAM_KAFKA_PARTITIONS,
    lingerMs: c.MESHSTREAM_KAFKA_LINGER_MS,
    maxInFlight: c.MESHSTREAM_KAFKA_MAX_IN_FLIGHT,
    replicationFactor: rf,
    minInsyncReplicas: isr,
  };
  return { kafka, warnings };
}

function splitHostPort(v: string): { host: string; port: number } {
  const at = v.lastIndexOf(":");
  return { host: v.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(v.slice(at + 1)) };
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

type Listener = readonly [variable: string, value: string, host: string];

/**
 * TLS and authentication, and the rule that keeps the default safe:
 * plaintext and MESHSTREAM_AUTH=none only on a loopback listener, unless
 * MESHSTREAM_INSECURE=true says it is meant (and then every start warns).
 */

function security(c: z.infer<typeof schema>, listeners: readonly Listener[], metrics: Listener | undefined): Pick<PlatformConfig, "tls" | "auth" | "warnings"> {
  const problems: string[] = [];
  if (!c.MESHSTREAM_TLS_CERT !== !c.MESHSTREAM_TLS_KEY) problems.push("MESHSTREAM_TLS_CERT and MESHSTREAM_TLS_KEY: set both (PEM files) or neither");
  if (c.MESHSTREAM_TLS_CLIENT_CA && !c.MESHSTREAM_TLS_CERT) problems.push("MESHSTREAM_TLS_CLIENT_CA: client certificates need TLS: set MESHSTREAM_TLS_CERT and MESHSTREAM_TLS_KEY too");
  if (c.MESHSTREAM_AUTH === "jwt") {
    for (const name of ["MESHSTREAM_JWKS", "MESHSTREAM_JWT_ISSUER", "MESHSTREAM_JWT_AUDIENCE"] as const) {
      if (!c[name]) problems.push(`${name}: required when MESHSTREAM_AUTH=jwt`);
    }
  }
  if (c.MESHSTREAM_AUTH === "mtls" && !c.MESHSTREAM_TLS_CLIENT_CA) problems.push("MESHSTREAM_TLS_CLIENT_CA: required when MESHSTREAM_AUTH=mtls (the CA that signs client certificates)");
  const tls = c.MESHSTREAM_TLS_CERT && c.MESHSTREAM_TLS_KEY ? { cert: c.MESHSTREAM_TLS_CERT, key: c.MESHSTREAM_TLS_KEY, ...(c.MESHSTREAM_TLS_CLIENT_CA ? { clientCa: c.MESHSTREAM_TLS_CLIENT_CA } : {}) } : undefined;
  const gaps = [...(tls ? [] : ["without TLS (MESHSTREAM_TLS_CERT, MESHSTREAM_TLS_KEY)"]), ...(c.MESHSTREAM_AUTH === "none" ? ["with MESHSTREAM_AUTH=none"] : [])];
  const warnings: string[] = [];
  // Both listeners (gRPC and HTTP) share the TLS files and the authentication, so both are held to the rule.
  for (const [variable, value] of gaps.length > 0 ? listeners.filter(([, , h]) => !isLoopback(h)) : []) {
    const what = `${variable}=${value} is reachable from the network, ${gaps.join(" and ")}`;
    if (c.MESHSTREAM_INSECURE === "true") warnings.push(`${what}: MESHSTREAM_INSECURE=true, so anyone who reaches it is trusted and sees plaintext`);
    else problems.push(`${what}: set up TLS and MESHSTREAM_AUTH=jwt or mtls, listen on loopback, or set MESHSTREAM_INSECURE=true to accept this`);
  }
  // The metrics listener has neither TLS nor authentication: beyond loopback only when told so.
  if (metrics && !isLoopback(metrics[2])) {
    const what = `${metrics[0]}=${metrics[1]} serves metrics to the network without TLS or authentication`;
    if (c.MESHSTREAM_INSECURE === "true") warnings.push(`${what}: MESHSTREAM_INSECURE=true`);
    else problems.push(`${what}: listen on loopback (a scraper beside the platform), or set MESHSTREAM_INSECURE=true to accept this`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const jwt =
    c.MESHSTREAM_AUTH === "jwt"
      ? { jwks: c.MESHSTREAM_JWKS!, issuer: c.MESHSTREAM_JWT_ISSUER!, audience: c.MESHSTREAM_JWT_AUDIENCE!, groupsClaim: c.MESHSTREAM_JWT_GROUPS_CLAIM }
      : undefined;
  return { tls, auth: { mode: c.MESHSTREAM_AUTH, ...(jwt ? { jwt } : {}), admins: c.MESHSTREAM_ADMINS }, warnings };
}
