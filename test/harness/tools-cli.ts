import { dirname } from "node:path";
import { ensureCue, ensureGrpcurl } from "./tools";

// `npm run tools`: the pinned grpcurl and cue the README's examples use, built
// into the cache with `go install` (needs Go; nothing else to know about it).
async function main(): Promise<void> {
  const [grpcurl, cue] = await Promise.all([ensureGrpcurl(), ensureCue()]);
  process.stdout.write(
    `grpcurl: ${grpcurl}\ncue:     ${cue}\n` +
      `Put them on your PATH for this shell with:\n  export PATH="${dirname(grpcurl)}:${dirname(cue)}:$PATH"\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
