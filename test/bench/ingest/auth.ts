import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { IngestService } from "@meshstream/proto";
import { bearer, TestClient } from "../../harness/grpc-client";
import { makeSigningKey, signToken, writeJwks } from "../../harness/jwt";
import { startPlatform } from "../../harness/platform";
import { concurrentRate } from "../stats";

const data = Buffer.from(JSON.stringify({ first: "John", Last: "Doe", Age: 40 }));
const event = { type: "MySource:newPerson", payload: { case: "dataJson" as const, value: data } };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Access control's cost on ingest: two platforms in one run, one with
 * MESHSTREAM_AUTH=none and one with jwt (a producer's token, the people
 * product's roles), measured in turns so that load from elsewhere on the
 * machine falls on both alike. `publishStream` is the throughput run of the
 * ingest benchmark, given call metadata.
 */
export async function authOverhead(
  total: number,
  publishStream: (address: string, metadata?: grpc.Metadata) => Promise<{ rate: number }>,
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
      const sides = { off: { address: off.address, metadata: undefined }, on: { address: on.address, metadata: bearer(token) } };
      const stream = { off: [] as number[], on: [] as number[] };
      const unary = { off: [] as number[], on: [] as number[] };
      // Warm-up: JIT, the compiled schema, the token cache and the decision cache.
      for (const side of Object.values(sides)) await publishStream(side.address, side.metadata);
      for (let round = 0; round < rounds; round++) {
        for (const name of round % 2 ? (["on", "off"] as const) : (["off", "on"] as const)) {
          const { address, metadata } = sides[name];
          stream[name].push((await publishStream(address, metadata)).rate);
          const client = new TestClient(address);
          try {
            // 32 unary calls in flight: each call is authenticated (a verified token is reused, not verified again).
            unary[name].push(await concurrentRate(total / 4, 1, 32, () => client.unary(IngestService.method.publish, { event }, metadata ?? undefined)));
          } finally {
            client.close();
          }
        }
      }
      const result = {
        stream_off: Math.round(median(stream.off)),
        stream_on: Math.round(median(stream.on)),
        stream_ratio: Number((median(stream.on) / median(stream.off)).toFixed(3)),
        unary_off: Math.round(median(unary.off)),
        unary_on: Math.round(median(unary.on)),
        unary_ratio: Number((median(unary.on) / median(unary.off)).toFixed(3)),
      };
      const each = (xs: number[]) => xs.map((x) => Math.round(x)).join(", ");
      return {
        rows: [
          [`PublishStream, auth none (median of ${rounds})`, `${result.stream_off} events/s (${each(stream.off)})`],
          [`PublishStream, auth jwt (median of ${rounds})`, `${result.stream_on} events/s (${each(stream.on)}); ratio ${result.stream_ratio}`],
          [`unary Publish x32 in flight, auth none`, `${result.unary_off} events/s (${each(unary.off)})`],
          [`unary Publish x32 in flight, auth jwt`, `${result.unary_on} events/s (${each(unary.on)}); ratio ${result.unary_ratio}`],
        ],
        result,
      };
    } finally {
      await Promise.all([off.stop(), on.stop()]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
