import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { CueEngine, type Definition } from "@meshstream/cuelang-wasm";
import { compileValidator } from "@meshstream/validation";
import { engineModule } from "../../../libs/cuelang-wasm/src/wasm-module";
import { WasmInstance } from "../../../libs/cuelang-wasm/src/wasm-instance";
import { writeSync } from "node:fs";
import { mib, report, summarize } from "../stats";

// npm run bench -- cue-validate [validations for the engine's memory run, default 1,000,000] [fast-path validations for its memory run, default 10,000,000]
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
const fastTotal = Number(process.argv[4] ?? 10_000_000);
const corpus = join(__dirname, "../../../libs/cuelang-wasm/test/corpus");

/** The schemas of the fast-path runs: the seed's, and two larger ones of the engine's corpus, each with a valid document. */
const fastSchemas = [
  { name: "seed (#Identity)", source: seed, definition: "#Identity", document: good },
  ...["35-order", "36-telemetry"].map((name) => ({
    name: `${name} (#T)`,
    source: readFileSync(join(corpus, `${name}.cue`), "utf8"),
    definition: "#T",
    document: Buffer.from(readFileSync(join(corpus, `${name}.jsonl`), "utf8").split("\n")[0]!),
  })),
];

/**
 * Calls `f` for about `ms` milliseconds after a warm-up of a quarter of
 * that; calls per second of this thread's CPU time, that is on one core
 * (on a shared machine wall-clock time counts the time others took).
 */
function rate(f: () => unknown, ms = 2000): number {
  const run = (limit: number) => {
    let n = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    while (performance.now() - started < limit) {
      for (let i = 0; i < 100; i++) f();
      n += 100;
    }
    const used = process.cpuUsage(cpu);
    return n / ((used.user + used.system) / 1e6);
  };
  run(ms / 4);
  return run(ms);
}

/** The fast path next to the engine, both on this thread, per schema; then its memory over `fastTotal` validations. */
async function fastPath(): Promise<{ rows: [string, string][]; result: Record<string, string> }> {
  const engine = await CueEngine.start({ workers: 1 });
  const raw = await WasmInstance.create(await engineModule(), { recycleAfter: 20_000, maxDepth: 1000 });
  const rows: [string, string][] = [];
  const result: Record<string, string> = {};
  let seedValidator: ReturnType<typeof compileValidator> | undefined;
  for (const [i, s] of fastSchemas.entries()) {
    const schema = await engine.compile(s.source, `${i}.cue`);
    const fast = compileValidator(await engine.validatorProgram({ schema, definition: s.definition }));
    if (!fast.accepts(s.document)) throw new Error(`the fast path does not accept the ${s.name} document`);
    seedValidator ??= fast;
    const parsed = JSON.parse(Buffer.from(s.document).toString());
    const fromBytes = rate(() => fast.accepts(s.document));
    const fromValue = rate(() => fast.accepts(s.document, parsed));
    const handle = raw.compile(`${i}.cue`, s.source).ok!.handle;
    const wasm = rate(() => raw.validate(handle, s.definition, s.document), 1000);
    rows.push([
      `fast path, ${s.name}, ${s.document.length} B`,
      `${Math.round(fromBytes)} validations per CPU-second from bytes (${Math.round(fromValue)} from a parsed value); wasm engine ${Math.round(wasm)}: ${(fromBytes / wasm).toFixed(0)}x`,
    ]);
    writeSync(2, `${rows.at(-1)!.join(": ")}\n`);
    result[["seed", "order", "telemetry"][i]!] = String(Math.round(fromBytes));
    if (i === 0) result.seed_engine = String(Math.round(wasm));
  }
  await engine.close();
  // Memory: RSS after a warm-up, then after fastTotal more validations of the seed document.
  const seedFast = seedValidator!;
  for (let i = 0; i < 200_000; i++) seedFast.accepts(good);
  global.gc?.();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < fastTotal; i++) seedFast.accepts(good);
  global.gc?.();
  const after = process.memoryUsage().rss;
  rows.push([`fast path RSS over ${fastTotal.toLocaleString("en-US")} validations`, `${mib(before)} → ${mib(after)} (growth ${mib(after - before)})`]);
  result.fast_rss_growth_mib = ((after - before) / 1024 / 1024).toFixed(1);
  return { rows, result };
}

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
  const fast = await fastPath();
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
    ...fast.rows,
  ]);
  writeSync(1, `RESULT ${Object.entries({ ...fast.result, pool_eps: String(Math.round(poolRate)) }).map(([k, v]) => `${k}=${v}`).join(" ")}\n`);
}
