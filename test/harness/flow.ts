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

/**
 * Stores `total` MySource:newPerson events numbered by `n`, of about
 * `padBytes` each, straight into the channel, while sampling the resident
 * memory of the platform process `pid` every 100 ms; then waits `settleMs`
 * more. Resolves with the growth from the start to the peak, in MiB.
 */
export async function storeWhileSampling(publisher: EventChannel, pid: number, total: number, padBytes: number, settleMs = 3000): Promise<{ baselineMiB: number; peakMiB: number; growthMiB: number }> {
  const pad = "x".repeat(padBytes);
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  try {
    for (let i = 0; i < total; i += 1000) {
      await publisher.publish(
        Array.from({ length: Math.min(1000, total - i) }, (_, j) => ({
          product: "people",
          event: { specversion: "1.0" as const, id: randomUUID(), source: "/people", type: "MySource:newPerson", subject: "flow", datacontenttype: "application/json", extensions: {}, data: Buffer.from(JSON.stringify({ first: "Ann", Last: `L${pad}`, n: i + j })) },
        })),
      );
    }
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    clearInterval(sampler);
  }
  const mib = (b: number) => b / 2 ** 20;
  return { baselineMiB: mib(baseline), peakMiB: mib(peak), growthMiB: mib(peak - baseline) };
}
