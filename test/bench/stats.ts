import { readFileSync, writeSync } from "node:fs";

/** Small helpers shared by the benchmarks: percentiles and aligned output. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * CPU seconds (user + system, every thread) a process has used so far, from
 * /proc (Linux; clock ticks of 10 ms). On a machine shared with other work,
 * CPU per event says what events/s would on a quiet one.
 */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** The same for a process's main thread alone (its JavaScript thread, for Node). */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU microseconds per unit of work (event, delivery) each process uses from now until the returned function is called. */
export function cpuMicrosPer(pids: readonly number[], units: number): () => number[] {
  const before = pids.map(cpuSeconds);
  return () => pids.map((pid, i) => ((cpuSeconds(pid) - before[i]!) * 1e6) / units);
}

export function summarize(latenciesMs: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

export function report(rows: [string, string | number][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  // writeSync: the benchmarks end with process.exit, which would cut a piped stdout short.
  for (const [k, v] of rows) writeSync(1, `${k.padEnd(width)}  ${typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 2 }) : v}\n`);
}

/** Calls `send(i)` for i = 0 … count-1, `perSecond` times a second on a fixed schedule; returns what each call returned. */
export async function paced<T>(perSecond: number, count: number, send: (i: number) => T): Promise<T[]> {
  const started = performance.now();
  const sent: T[] = [];
  for (let i = 0; i < count; i++) {
    // Waits under a millisecond are not slept: a timer would round them up and the schedule would drift.
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sent.push(send(i));
  }
  return sent;
}

/** Events/s of `total` events sent as `concurrency` loops each sending `batch` at a time; `send(from)` sends events from..from+batch-1. */
export async function concurrentRate(total: number, batch: number, concurrency: number, send: (from: number) => Promise<unknown>): Promise<number> {
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        const from = sent;
        sent += batch;
        await send(from);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** `send` called `rate` times a second for `seconds` on a fixed schedule: each call's latency in ms. */
export async function latenciesAt(rate: number, seconds: number, send: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const calls = await paced(rate, rate * seconds, () => {
    const t = performance.now();
    return send().then(() => void latencies.push(performance.now() - t));
  });
  await Promise.all(calls);
  return latencies;
}
