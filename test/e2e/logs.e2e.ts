import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { run } from "../harness/run";
import { tempDir } from "../harness/temp";
import { toolPath } from "../harness/tool-paths";

interface Line {
  level: string;
  message: Record<string, unknown>;
  requestId?: string;
  traceId?: string;
}

describe("what the platform logs", () => {
  let platform: RunningPlatform;
  const lines = () => platform.logs.flatMap((l) => (l.startsWith("{") ? [JSON.parse(l) as Line] : []));
  const grpcurl = (...args: string[]) => run(toolPath("GRPCURL"), ["-plaintext", ...args], { timeoutMs: 20_000 });
  const waitFor = async (test: () => boolean, what: string) => {
    for (const deadline = Date.now() + 10_000; !test(); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`no ${what} in:\n${platform.logs.join("\n")}`);
    }
  };

  beforeAll(async () => {
    // A way to make the platform emit Node warnings, loaded by Node itself before the platform (as
    // NODE_OPTIONS=--require would load an APM agent), on every thread: on the main thread when the
    // test says (SIGUSR2); on each worker thread once it runs, naming the thread by its workerData.
    const warner = join(tempDir("warner"), "warner.js");
    writeFileSync(
      warner,
      `const { isMainThread, workerData } = require("node:worker_threads");
if (isMainThread) process.on("SIGUSR2", () => {
  process.emitWarning("a warning the test asked for", { type: "TestWarning", code: "MESHSTREAM_TEST" });
  process.emitWarning("a warning --disable-warning silences", { type: "TestWarning", code: "MESHSTREAM_SILENCED" });
});
else setTimeout(() => process.emitWarning(workerData && "lanes" in workerData ? "producer thread" : workerData && "module" in workerData ? "CUE engine" : "another thread", { type: "TestWarning", code: "MESHSTREAM_TEST_THREAD" }), 200);
`,
    );
    // On Kafka: its producer thread is one of the threads whose warnings the test looks for.
    platform = await startPlatform({
      MESHSTREAM_LOG_LEVEL: "log",
      MESHSTREAM_CHANNEL: "kafka",
      MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"),
      MESHSTREAM_KAFKA_TOPIC_PREFIX: `logs-${randomUUID().slice(0, 8)}.`,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${warner} --disable-warning=MESHSTREAM_SILENCED`.trim(),
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("starts with a banner: version, configuration and listeners", async () => {
    await waitFor(() => lines().some((l) => l.message.msg === "started"), "banner");
    const banner = lines().find((l) => l.message.msg === "started")!.message;
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(banner).toMatchObject({ version, node: process.version, listeners: { grpc: platform.address }, config: { channel: "kafka", logLevel: "log" } });
  });

  it("tags a call's lines with its request id (the client's x-request-id), and answers with it as a header", async () => {
    const r = await grpcurl("-v", "-H", "x-request-id: req-logs-1", "-d", '{"type":"Nope"}', platform.address, "meshstream.v1.CatalogService/GetEventType");
    expect(r.stdout).toMatch(/^x-request-id: req-logs-1$/m);
    await waitFor(() => lines().some((l) => l.requestId === "req-logs-1"), "line with the request id");
    expect(lines().find((l) => l.requestId === "req-logs-1")!.message).toMatchObject({ msg: "call", code: "NOT_FOUND" });
  });

  it("gives a call without x-request-id (or with one unfit for a log line) an id of its own", async () => {
    await grpcurl("-H", "x-request-id: not a {token}", "-d", '{"type":"Nope2"}', platform.address, "meshstream.v1.CatalogService/GetEventType");
    await waitFor(() => lines().some((l) => l.message.msg === "call" && l.message.code === "NOT_FOUND" && l.requestId !== "req-logs-1"), "second call");
    const line = lines().filter((l) => l.message.msg === "call").at(-1)!;
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("writes Node's process warnings as JSON lines at level warn, not as Node's text on stderr", async () => {
    platform.process.kill("SIGUSR2");
    await waitFor(() => lines().some((l) => l.message.code === "MESHSTREAM_TEST"), "the warning's line");
    expect(lines().find((l) => l.message.code === "MESHSTREAM_TEST")).toMatchObject({ level: "warn", message: { msg: "node warning", name: "TestWarning", warning: "a warning the test asked for" } });
    expect(platform.logs.filter((l) => l.includes("TestWarning") && !l.startsWith("{"))).toEqual([]);
    // What --disable-warning silences stays silent, as Node's own printing would keep it.
    expect(platform.logs.filter((l) => l.includes("MESHSTREAM_SILENCED"))).toEqual([]);
  });

  it("writes the worker threads' warnings there too, through the main thread", async () => {
    const fromThreads = () => new Set(lines().flatMap((l) => (l.message.code === "MESHSTREAM_TEST_THREAD" ? [l.message.warning] : [])));
    await waitFor(() => fromThreads().has("producer thread") && fromThreads().has("CUE engine"), "warnings from the producer thread and a CUE engine worker");
    expect(lines().find((l) => l.message.code === "MESHSTREAM_TEST_THREAD")).toMatchObject({ level: "warn", message: { msg: "node warning", name: "TestWarning" } });
    // The CUE engine's threads silence WASI's ExperimentalWarning (--disable-warning): it stays silent here too.
    expect(platform.logs.filter((l) => l.includes("ExperimentalWarning"))).toEqual([]);
    expect(platform.logs.filter((l) => l.includes("TestWarning") && !l.startsWith("{"))).toEqual([]);
  });

  it("switches to debug on SIGHUP, and back on the next one", async () => {
    const okCalls = () => lines().filter((l) => l.message.method === "/grpc.health.v1.Health/Check" && l.message.code === "OK").length;
    const check = () => grpcurl(platform.address, "grpc.health.v1.Health/Check");
    await check();
    expect(okCalls()).toBe(0);

    platform.process.kill("SIGHUP");
    await waitFor(() => lines().some((l) => l.message.msg === "log level changed" && l.message.level === "debug"), "level change to debug");
    await check();
    await waitFor(() => okCalls() === 1, "a successful call logged at debug");
    expect(lines().filter((l) => l.message.method === "/grpc.health.v1.Health/Check").at(-1)).toMatchObject({ level: "debug", requestId: expect.any(String) });

    platform.process.kill("SIGHUP");
    await waitFor(() => lines().some((l) => l.message.msg === "log level changed" && l.message.level === "log"), "level change back to log");
    await check();
    await new Promise((r) => setTimeout(r, 300));
    expect(okCalls()).toBe(1);
  });
});
