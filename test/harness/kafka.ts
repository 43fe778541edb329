import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { cacheDir } from "./cache";
import { freePort } from "./ports";
import { runOk } from "./run";
import { setupStep } from "./setup-step";
import { onCleanup } from "./temp";

/** Pinned broker. kafkajs 2.2.4 speaks its protocol (proved by the channel's contract suite against it). */
export const KAFKA_VERSION = "3.9.1";

/** The broker's jars, fetched from Maven Central with mvn into the cache when absent. */
export async function ensureKafkaJars(): Promise<string> {
  const dir = cacheDir("kafka", KAFKA_VERSION);
  const libs = join(dir, "libs");
  const stamp = join(dir, ".complete");
  if (existsSync(stamp)) return libs;
  return setupStep(`Apache Kafka ${KAFKA_VERSION} jars (mvn)`, () => fetchKafkaJars(dir, libs, stamp));
}

async function fetchKafkaJars(dir: string, libs: string, stamp: string): Promise<string> {
  writeFileSync(
    join(dir, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.meshstream</groupId><artifactId>kafka-harness</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`,
  );
  try {
    // Maven's own repository goes under our cache too, and its JVM writes no perf data into the temp dir.
    const repo = `-Dmaven.repo.local=${cacheDir("maven")}`;
    await runOk("mvn", ["-q", "-B", repo, "dependency:copy-dependencies", `-DoutputDirectory=${libs}`, "-DincludeScope=runtime"], {
      cwd: dir,
      env: { ...process.env, MAVEN_OPTS: `${process.env.MAVEN_OPTS ?? ""} -XX:-UsePerfData`.trim() },
      timeoutMs: 20 * 60_000,
    });
  } catch (err) {
    throw new Error(`the Kafka tests need Apache Kafka ${KAFKA_VERSION} and could not fetch it with mvn from Maven Central: ${String(err)}`);
  }
  writeFileSync(stamp, "");
  return libs;
}

export interface KafkaBroker {
  readonly brokers: string[];
  /** With `sasl`: the listener that requires SASL (PLAIN or SCRAM-SHA-256, no TLS). */
  readonly saslBrokers: string[];
  /** Stops the broker process (SIGTERM, then SIGKILL after 15 s); its data stays. */
  stop(): Promise<void>;
  /** Kills the broker process at once (SIGKILL: no clean shutdown); its data stays as the crash left it. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data. */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
  /** The broker process while it runs (the benchmarks read its CPU time). */
  pid(): number | undefined;
}

/**
 * A single-node KRaft broker on free loopback ports, in a temporary folder,
 * resolved once it answers a metadata request.
 */
export async function startKafka(options: { sasl?: { username: string; password: string } } = {}): Promise<KafkaBroker> {
  const libs = await ensureKafkaJars();
  const dir = mkdtempSync(join(tmpdir(), "meshstream-kafka-"));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const sasl = options.sasl;
  const saslPort = sasl ? await freePort() : 0;
  // One user for both mechanisms: PLAIN's in the listener's JAAS line, SCRAM's written into the metadata at format time.
  const saslConfig = sasl
    ? [
        `listeners=PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
        `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${sasl.username}="${sasl.password}";`,
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
      ]
    : [
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      ];
  const config = join(dir, "server.properties");
  writeFileSync(
    config,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      ...saslConfig,
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${join(dir, "data")}`,
      "num.partitions=1",
      "offsets.topic.replication.factor=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "auto.create.topics.enable=false",
      // Kafka's own flush policy (the OS writes the log back; durability comes from replicas, acks=all):
      // forcing an fsync per message made this broker slower than any production one, and a killed
      // broker process (the outage tests) loses nothing the page cache holds.
    ].join("\n") + "\n",
  );
  writeFileSync(
    join(dir, "log4j.properties"),
    "log4j.rootLogger=WARN, file\nlog4j.appender.file=org.apache.log4j.FileAppender\n" +
      `log4j.appender.file.File=${join(dir, "broker.log")}\nlog4j.appender.file.layout=org.apache.log4j.PatternLayout\n` +
      "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n",
  );
  const java = (main: string, args: string[]) => [
    // No hsperfdata folder left in the temp dir.
    "-XX:-UsePerfData",
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseSerialGC",
    `-Dlog4j.configuration=file:${join(dir, "log4j.properties")}`,
    "-cp",
    join(libs, "*"),
    main,
    ...args,
  ];
  const clusterId = randomBytes(16).toString("base64url");
  // "=" form: a base64url id may start with "-", which the tool would take for an option.
  const scram = sasl ? ["--add-scram", `SCRAM-SHA-256=[name=${sasl.username},password=${sasl.password}]`] : [];
  await runOk("java", java("kafka.tools.StorageTool", ["format", `--cluster-id=${clusterId}`, "-c", config, ...scram]), { timeoutMs: 120_000 });

  let child: ChildProcess | undefined;
  const brokers = [`127.0.0.1:${port}`];
  const start = async () => {
    mkdirSync(join(dir, "data"), { recursive: true });
    const proc = spawn("java", java("kafka.Kafka", [config]), { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child = proc;
    await waitUntilServing(brokers, proc, () => stderr, dir);
  };
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  // A benchmark that fails before destroy() must not leave a broker running (tests destroy theirs in afterAll).
  if (typeof afterAll !== "function") {
    onCleanup(() => {
      child?.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
  }
  await start();
  return {
    brokers,
    saslBrokers: sasl ? [`127.0.0.1:${saslPort}`] : [],
    stop: () => stop(),
    kill: () => stop("SIGKILL"),
    restart: start,
    pid: () => child?.pid,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(brokers: string[], proc: ChildProcess, stderr: () => string, dir: string): Promise<void> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`Kafka exited with ${proc.exitCode} while starting (see ${dir}/broker.log):\n${stderr()}`);
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  proc.kill("SIGKILL");
  throw new Error(`Kafka did not answer within 90 s (see ${dir}/broker.log)`);
}
