import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { CatalogService, CompatibilityPolicy, IngestService } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startPlatform, type RunningPlatform } from "../harness/platform";

/**
 * The RSS bound the README documents for the platform: 800 MiB for the
 * process at rest (its validation workers and the spare included), plus the
 * engine's memory limit per validation worker.
 */
const rssBoundBytes = (workers: number, memoryLimitMb: number) => (800 + workers * memoryLimitMb) * 1024 * 1024;

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

describe("one product's hostile schema does not stall another product", () => {
  // The default time limit (2 s), a memory limit of 256 MiB, two workers whatever the machine's cores.
  const workers = 2;
  const memoryLimitMb = 256;
  let dir: string;
  let platform: RunningPlatform;
  let client: TestClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "meshstream-isolation-"));
    platform = await startPlatform({
      MESHSTREAM_DATA_DIR: dir,
      MESHSTREAM_VALIDATION_WORKERS: String(workers),
      MESHSTREAM_VALIDATION_MEMORY_MB: String(memoryLimitMb),
    }, 60_000);
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps p99 of another product's publishes under 50 ms and RSS under the documented bound", async () => {
    const c = CatalogService.method;
    await client.unary(c.createDataProduct, { dataProduct: { name: "hostile", owner: "mallory" } });
    // Cheap on every document the catalog generates at registration (their strings are not numbers),
    // costly on what the producer then sends: the run-time limits must hold them.
    const hostile = {
      "hostile.slow": 'import ("list", "strconv")\n#T: {n: string, l: list.Range(0, strconv.Atoi(n), 1)}',
      "hostile.hungry": 'import ("strings", "strconv")\n#T: {n: string, s: strings.Repeat(strings.Repeat("x", 1000), strconv.Atoi(n))}',
    };
    for (const [type, cueSource] of Object.entries(hostile)) {
      await client.unary(c.registerEventType, { eventType: { type, dataProduct: "hostile", definition: "#T", compatibility: CompatibilityPolicy.NONE } });
      expect((await client.unary(c.registerSchemaVersion, { type, cueSource })).created).toBe(true);
    }

    const publish = (type: string, data: unknown) =>
      client.unary(IngestService.method.publish, { event: { type, payload: { case: "dataJson", value: Buffer.from(JSON.stringify(data)) } } });
    const person = { first: "John", Last: "Doe", Age: 40 };
    /** Publishes to the people product one after the other, 15 ms apart, for a while: the latencies, sorted. */
    const measure = async (ms: number) => {
      const latencies: number[] = [];
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const started = performance.now();
        await publish("MySource:newPerson", person);
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 15));
      }
      return latencies.sort((a, b) => a - b);
    };
    const p = (latencies: number[], q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!;
    const summary = (latencies: number[]) => `${latencies.length} publishes p50 ${p(latencies, 0.5).toFixed(1)} ms p99 ${p(latencies, 0.99).toFixed(1)} ms max ${p(latencies, 1).toFixed(1)} ms`;
    // The baseline, measured in the same run: the machine may be shared.
    const baseline = await measure(3000);
    const restingRss = rssOf(platform.process.pid!);

    let stop = false;
    const hostileAnswers: string[] = [];
    const attacker = async (type: string, n: string) => {
      while (!stop) {
        await publish(type, { n }).then(
          () => hostileAnswers.push("OK"),
          (e: ServiceError) => hostileAnswers.push(`${Code[e.code]} ${e.details}`),
        );
      }
    };
    const attackers = [attacker("hostile.slow", "2000000000"), attacker("hostile.slow", "2000000000"), attacker("hostile.hungry", "1000000"), attacker("hostile.hungry", "1000000")];
    let maxRss = 0;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssOf(platform.process.pid!))), 50);
    let latencies: number[];
    try {
      await new Promise((r) => setTimeout(r, 500));
      latencies = await measure(10_000);
    } finally {
      stop = true;
      clearInterval(sampler);
      await Promise.all(attackers);
    }

    process.stdout.write(
      `isolation: baseline ${summary(baseline)}; under attack ${summary(latencies)}; ${hostileAnswers.length} hostile answers; ` +
        `RSS at rest ${(restingRss / 1048576).toFixed(0)} MiB, max ${(maxRss / 1048576).toFixed(0)} MiB (bound ${rssBoundBytes(workers, memoryLimitMb) / 1048576} MiB)\n`,
    );
    // Every hostile event was answered, as INVALID_ARGUMENT naming the limit it broke (never DEADLINE_EXCEEDED).
    expect(hostileAnswers.length).toBeGreaterThanOrEqual(4);
    for (const a of hostileAnswers) expect(a).toMatch(/^INVALID_ARGUMENT schema evaluation exceeded the (time limit of 2000 ms|memory limit of 256 MiB) \(hostile\.(slow|hungry), schema version 1\)$/);
    expect(hostileAnswers.some((a) => a.includes("time limit"))).toBe(true);
    expect(hostileAnswers.some((a) => a.includes("memory limit"))).toBe(true);
    expect(latencies.length).toBeGreaterThan(100);
    expect(p(latencies, 0.99)).toBeLessThan(50);
    expect(maxRss).toBeLessThan(rssBoundBytes(workers, memoryLimitMb));
  });
});
