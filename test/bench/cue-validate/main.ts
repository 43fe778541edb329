import { availableParallelism } from "node:os";
import { CueEngine, type Definition } from "@meshstream/cuelang-wasm";
import { engineModule } from "../../../libs/cuelang-wasm/src/wasm-module";
import { WasmInstance } from "../../../libs/cuelang-wasm/src/wasm-instance";
import { mib, report, summarize } from "../stats";

// npm run bench -- cue-validate [validations for the memory run, default 1,000,000]
const seed = `#Identity: {
	// first name of the person
	first: =~"[A-Z].*"
	// Last name of the person
	Last: =~"[A-Z].*"
	// Age of the person
	Age?: number & <130
}
`;
const good = new TextEncoder().encode('{"first":"John","Last":"Doe","Age":40}');
const total = Number(process.argv[3] ?? 1_000_000);

async function throughput(engine: CueEngine, target: Definition, n: number, inFlight: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await engine.validate(target, good);
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

export async function main(): Promise<void> {
  let t = performance.now();
  const one = await CueEngine.start({ workers: 1 });
  const schema = await one.compile(seed, "identity.cue");
  const startMs = performance.now() - t;
  // Baseline: the same wasm engine called directly on this thread, no pool.
  const raw = await WasmInstance.create(await engineModule(), { recycleAfter: 20_000, maxDepth: 1000 });
  const handle = raw.compile("identity.cue", seed).ok!.handle;
  for (let i = 0; i < 2000; i++) raw.validate(handle, "#Identity", good);
  t = performance.now();
  for (let i = 0; i < 50_000; i++) raw.validate(handle, "#Identity", good);
  const rawRate = 50_000 / ((performance.now() - t) / 1000);

  const target = { schema, definition: "#Identity" };
  await throughput(one, target, 5000, 32);
  const oneRate = await throughput(one, target, 50_000, 32);
  const latencies: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const s = performance.now();
    await one.validate(target, good);
    latencies.push(performance.now() - s);
  }
  const lat = summarize(latencies);
  await one.close();

  const pool = await CueEngine.start();
  const poolSchema = await pool.compile(seed, "identity.cue");
  const poolTarget = { schema: poolSchema, definition: "#Identity" };
  await throughput(pool, poolTarget, 5000, 64);
  const poolRate = await throughput(pool, poolTarget, 100_000, 64);
  const rss100k = process.memoryUsage().rss;
  await throughput(pool, poolTarget, total - 100_000, 64);
  const rss1m = process.memoryUsage().rss;
  const wasmMemory = await pool.memory();
  await pool.close();

  report([
    ["engine start (1 worker + compile)", `${startMs.toFixed(0)} ms`],
    ["baseline: wasm engine on the main thread", `${Math.round(rawRate)} validations/s`],
    ["pool of 1 worker", `${Math.round(oneRate)} validations/s (ratio to baseline ${(oneRate / rawRate).toFixed(2)})`],
    [`pool of ${pool.size} workers (${availableParallelism()} cores)`, `${Math.round(poolRate)} validations/s (ratio to baseline ${(poolRate / rawRate).toFixed(2)})`],
    ["latency per call, 1 worker, sequential", `p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms`],
    ["RSS after 100k validations", mib(rss100k)],
    [`RSS after ${total.toLocaleString("en-US")} validations`, `${mib(rss1m)} (growth ${mib(rss1m - rss100k)})`],
    ["wasm linear memory per worker", wasmMemory.map(mib).join(", ")],
  ]);
}
