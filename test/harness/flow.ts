import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { EventChannel } from "@meshstream/channel";

/** Resolves once `test` holds, polling; fails saying what it waited for. */
export async function eventually(test: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1];
  return Number(kb) * 1024;
}

/** Seconds since the process started, from /proc (its start time in clock ticks after boot). */
function ageOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return uptime - Number(fields[19]) / 100;
}

// The validation pool starts a spare worker 5 s after the platform (libs/cuelang-wasm): a baseline
// taken before it is ready would count the spare's memory as growth.
const settledAfterS = 10;

/**
 * The resident memory of `pid` once it has settled: the process at least
 * settledAfterS old and three samples a second apart within 4 MiB (on a
 * loaded machine the spare worker can start late; taken before, its memory
 * counts as growth). At most 20 s more.
 */
async function settledRss(pid: number): Promise<number> {
  const age = ageOf(pid);
  if (age < settledAfterS) await new Promise((r) => setTimeout(r, (settledAfterS - age) * 1000));
  const samples = [rssOf(pid)];
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(rssOf(pid));
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < 4 * 2 ** 20) break;
  }
  return samples.at(-1)!;
}

/** Stores `total` MySource:newPerson events numbered by `n` from 0, of about `padBytes` each, straight into the channel. */
export async function storeEvents(publisher: EventChannel, total: number, padBytes: number): Promise<void> {
  const pad = "x".repeat(padBytes);
  for (let i = 0; i < total; i += 1000) {
    await publisher.publish(
      Array.from({ length: Math.min(1000, total - i) }, (_, j) => ({
        product: "people",
        event: { specversion: "1.0" as const, id: randomUUID(), source: "/people", type: "MySource:newPerson", subject: "flow", datacontenttype: "application/json", extensions: {}, data: Buffer.from(JSON.stringify({ first: "Ann", Last: `L${pad}`, n: i + j })) },
      })),
    );
  }
}

/**
 * Stores events as storeEvents does while sampling the resident
 * memory of the platform process `pid` every 100 ms; then waits `settleMs`
 * more. Resolves with the growth from the start to the peak, in MiB. The
 * baseline is taken once the platform has settled (its spare worker running).
 */
export async function storeWhileSampling(publisher: EventChannel, pid: number, total: number, padBytes: number, settleMs = 3000): Promise<{ baselineMiB: number; peakMiB: number; growthMiB: number }> {
  const baseline = await settledRss(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  try {
    await storeEvents(publisher, total, padBytes);
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    clearInterval(sampler);
  }
  const mib = (b: number) => b / 2 ** 20;
  return { baselineMiB: mib(baseline), peakMiB: mib(peak), growthMiB: mib(peak - baseline) };
}
