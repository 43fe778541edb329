import { create, toJsonString, type DescMessage, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import { runOk } from "../harness/run";
import { ensureGhz } from "../harness/tools";

/**
 * Unary calls from ghz (grpc-go), `perSecond` a second for `seconds`, one
 * connection: each call's latency in ms, as ghz measured it.
 *
 * Latency at 1,000 calls/s is measured from a Go client, not from this
 * process: Node's HTTP/2 client binds every request to an AsyncResource whose
 * accessors give it a hidden class of its own (node:http2's request(), Node 20
 * to 24), which keeps each call's objects alive through the young
 * generation's collections until a major one. A grpc-js client here promoted
 * 9.5 KB per call and paused about 6 ms per collection (up to 13), and those
 * pauses were most of the tail it measured, of a Health check as of a Publish.
 */
export async function ghzLatencies<I extends DescMessage>(address: string, method: DescMethod & { input: I }, input: MessageInitShape<I>, perSecond: number, seconds: number): Promise<number[]> {
  const ghz = await ensureGhz();
  const args = [
    "--insecure",
    `--call=${method.parent.typeName}.${method.name}`,
    `--data=${toJsonString(method.input, create(method.input, input))}`,
    `--rps=${perSecond}`,
    `--total=${perSecond * seconds}`,
    // Enough workers that a slow call never holds the next one back (an open loop at this rate).
    "--concurrency=50",
    "--connections=1",
    // One core for the client: the platform and the broker share the other cores.
    "--cpus=1",
    "--format=json",
    address,
  ];
  const { stdout } = await runOk(ghz, args);
  const details = (JSON.parse(stdout) as { details?: { latency: number; status: string; error?: string }[] }).details ?? [];
  const failed = details.filter((d) => d.status !== "OK");
  if (details.length !== perSecond * seconds || failed.length > 0) {
    throw new Error(`ghz: ${details.length} of ${perSecond * seconds} calls answered, ${failed.length} failed${failed[0] ? ` (${failed[0].status}: ${failed[0].error})` : ""}`);
  }
  return details.map((d) => d.latency / 1e6);
}
