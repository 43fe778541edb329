import { writeSync } from "node:fs";

/** Small helpers shared by the benchmarks: percentiles and aligned output. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
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

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
