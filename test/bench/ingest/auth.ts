import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { IngestService } from "@meshstream/proto";
import { bearer, TestClient } from "../../harness/grpc-client";
import { makeSigningKey, signToken, writeJwks } from "../../harness/jwt";
import { startPlatform } from "../../harness/platform";
import { concurrentRate, cpuSeconds, median } from "../stats";

const data = Buffer.from(JSON.stringify({ first: "John", Last: "Doe", Age: 40 }));
const event = { type: "MySource:newPerson", payload: { case: "dataJson" as const, value: data } };
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Access control's cost on ingest: two platforms in one run, one with
 * MESHSTREAM_AUTH=none and one with jwt (a producer's token, the people
 * product's roles), measured in turns so that load from elsewhere on the
 * machine falls on both alike. `publishStream` is the throughput run of the
 * ingest benchmark, given call metadata.
 */
export async function authOverhead(
  total: number,
  publishStream: (address: string, metadata?: grpc.Metadata) => Promise<unknown>,
  rounds = 3,
): Promise<{ rows: [string, string][]; result: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), "meshstream-bench-auth-"));
  try {
    const key = await makeSigningKey("bench");
    writeJwks(join(dir, "jwks.json"), [key]);
    const token = await signToken(key, { sub: "hr-app" }, { issuer: "bench", audience: "meshstream" });
    const off = await startPlatform();
    const on = await startPlatform({ MESHSTREAM_AUTH: "jwt", MESHSTREAM_JWKS: join(dir, "jwks.json"), MESHSTREAM_JWT_ISSUER: "bench", MESHSTREAM_JWT_AUDIENCE: "meshstream" });
    try {
      const sides = { off: { platform: off, metadata: undefined }, on: { platform: on, metadata: bearer(token) } };
      // Per run kind and side: events/s (wall) and events per CPU-second of the platform.
      const runs = { stream: { off: [] as Rate[], on: [] as Rate[] }, unary: { off: [] as Rate[], on: [] as Rate[] } };
      const measured = async (pid: number, events: number, run: () => Promise<unknown>): Promise<Rate> => {
        const cpu = cpuSeconds(pid);
        const started = performance.now();
        await run();
        return { wall: events / ((performance.now() - started) / 1000), cpu: events / (cpuSeconds(pid) - cpu) };
      };
      // Warm-up: JIT, the compiled schema, the token cache and the decision cache.
      for (const side of Object.values(sides)) await publishStream(side.platform.address, side.metadata);
      for (let round = 0; round < rounds; round++) {
        for (const name of round % 2 ? (["on", "off"] as const) : (["off", "on"] as const)) {
          const { platform, metadata } = sides[name];
          const pid = platform.process.pid!;
          runs.stream[name].push(await measured(pid, total, () => publishStream(platform.address, metadata)));
          const client = new TestClient(platform.address);
          try {
            // 32 unary calls in flight: each call is authenticated (a verified token is reused, not verified again).
            runs.unary[name].push(await measured(pid, total / 4, () => concurrentRate(total / 4, 1, 32, () => client.unary(IngestService.method.publish, { event }, metadata))));
          } finally {
            client.close();
          }
        }
      }
      const result: Record<string, number> = {};
      const rows: [string, string][] = [];
      const each = (xs: Rate[], k: keyof Rate) => xs.map((x) => Math.round(x[k])).join(", ");
      for (const [kind, label] of [["stream", "PublishStream"], ["unary", "unary Publish, 32 in flight"]] as const) {
        const { off: o, on: n } = runs[kind];
        for (const k of ["wall", "cpu"] as const) {
          const [mo, mn] = [median(o.map((x) => x[k])), median(n.map((x) => x[k]))];
          const unit = k === "wall" ? "events/s" : "events per platform CPU-second";
          result[`${kind}_${k}_off`] = Math.round(mo);
          result[`${kind}_${k}_on`] = Math.round(mn);
          result[`${kind}_${k}_ratio`] = Number((mn / mo).toFixed(3));
          rows.push([`${label}, ${unit}, auth none → jwt`, `${Math.round(mo)} → ${Math.round(mn)}, ratio ${(mn / mo).toFixed(3)} (medians of ${each(o, k)} → ${each(n, k)})`]);
        }
      }
      return { rows, result };
    } finally {
      await Promise.all([off.stop(), on.stop()]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
