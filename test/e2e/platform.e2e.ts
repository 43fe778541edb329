import { createServer } from "node:net";
import { join } from "node:path";
import { run } from "../harness/run";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { toolPath } from "../harness/tool-paths";

describe("the platform, as `npm start` runs it", () => {
  let platform: RunningPlatform;
  const grpcurl = (...args: string[]) => run(toolPath("GRPCURL"), ["-plaintext", ...args], { timeoutMs: 20_000 });

  beforeAll(async () => {
    // debug: successful calls are logged at that level only.
    platform = await startPlatform({ MESHSTREAM_LOG_LEVEL: "debug" });
  });

  afterAll(async () => {
    await platform?.stop("SIGKILL");
  });

  it("serves on loopback within 10 s", () => {
    expect(platform.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(platform.startedInMs).toBeLessThan(10_000);
  });

  it("lists the services, health and reflection to grpcurl", async () => {
    const r = await grpcurl(platform.address, "list");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "meshstream.v1.CatalogService",
      "meshstream.v1.IngestService",
      "meshstream.v1.SubscribeService",
      "meshstream.v1.SubscriptionService",
    ]);
  });

  it("describes IngestService with its methods and comments", async () => {
    const r = await grpcurl(platform.address, "describe", "meshstream.v1.IngestService");
    expect(r.code).toBe(0);
    for (const m of ["Publish", "PublishBatch", "PublishStream"]) expect(r.stdout).toContain(`rpc ${m} (`);
    expect(r.stdout).toContain("// Publish validates and stores one event.");
  });

  it("answers the health check SERVING, overall and per service", async () => {
    const overall = await grpcurl(platform.address, "grpc.health.v1.Health/Check");
    expect(JSON.parse(overall.stdout)).toEqual({ status: "SERVING" });
    const ingest = await grpcurl("-d", '{"service":"meshstream.v1.IngestService"}', platform.address, "grpc.health.v1.Health/Check");
    expect(JSON.parse(ingest.stdout)).toEqual({ status: "SERVING" });
    const unknown = await grpcurl("-d", '{"service":"nope.Service"}', platform.address, "grpc.health.v1.Health/Check");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("NotFound");
  });

  it("answers the health check to a Python grpcio client", async () => {
    const r = await run(toolPath("PYTHON"), [join(repoRoot, "test/harness/python/health_check.py"), platform.address, "meshstream.v1.CatalogService"], {
      timeoutMs: 30_000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("SERVING");
  });

  it("logs one JSON line per call with method, status code and duration (successful ones at debug level)", async () => {
    await grpcurl(platform.address, "grpc.health.v1.Health/Check");
    await grpcurl("-d", '{"type":"Nope"}', platform.address, "meshstream.v1.CatalogService/GetEventType");
    const calls = platform.logs
      .map((l) => JSON.parse(l) as { level: string; message: { msg?: string; method?: string; code?: string; durationMs?: number } })
      .filter((l) => l.message.msg === "call");
    const ok = calls.filter((l) => l.message.method === "/grpc.health.v1.Health/Check");
    expect(ok.at(-1)).toMatchObject({ level: "debug", message: { code: "OK", durationMs: expect.any(Number) } });
    const failed = calls.filter((l) => l.message.method === "/meshstream.v1.CatalogService/GetEventType");
    expect(failed.at(-1)).toMatchObject({ level: "log", message: { code: "NOT_FOUND" } });
  });
});

describe("platform lifecycle", () => {
  it("exits 0 on SIGTERM", async () => {
    const platform = await startPlatform();
    expect(await platform.stop("SIGTERM")).toBe(0);
    expect(platform.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });

  it("exits 0 on SIGINT", async () => {
    const platform = await startPlatform();
    expect(await platform.stop("SIGINT")).toBe(0);
  });

  // A process manager signals the process it started, which for `npm start` is npm, not node.
  it.each(["SIGTERM", "SIGINT"] as const)("`npm start` hands %s to the platform: it drains, exits 0 and frees its port", async (signal) => {
    const platform = await startPlatform({}, 30_000, "npm");
    expect(await platform.stop(signal)).toBe(0);
    expect(platform.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    const port = Number(platform.address.split(":").at(-1));
    await expect(canListen(port)).resolves.toBe(true);
  });

  it("refuses to start on a bad setting, naming the variable and what is allowed", async () => {
    const r = await run(process.execPath, ["-r", "@swc-node/register", "apps/platform/src/main.ts"], {
      cwd: repoRoot,
      env: { ...process.env, MESHSTREAM_CHANNEL: "carrier-pigeon" },
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MESHSTREAM_CHANNEL="carrier-pigeon"');
    expect(r.stderr).toMatch(/"embedded".*"kafka"/);
  });
});

describe("platform channel configuration", () => {
  it("starts on the Kafka channel when told to", async () => {
    const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS") });
    try {
      expect(platform.logs.some((l) => l.includes('"kind":"kafka"'))).toBe(true);
    } finally {
      expect(await platform.stop()).toBe(0);
    }
  });

  it("refuses to start when the Kafka brokers do not answer, saying so", async () => {
    const r = await run(process.execPath, ["-r", "@swc-node/register", "apps/platform/src/main.ts"], {
      cwd: repoRoot,
      env: { ...process.env, MESHSTREAM_LISTEN: "127.0.0.1:0", MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: "127.0.0.1:1" },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot reach Kafka at 127.0.0.1:1");
  });
});

/** Whether nothing listens on the loopback port any more. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
