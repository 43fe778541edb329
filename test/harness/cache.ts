import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The root of everything the harness fetches or builds: `MESHSTREAM_CACHE`, else `~/.cache/meshstream`. */
export function cacheRoot(): string {
  return process.env.MESHSTREAM_CACHE ?? join(homedir(), ".cache", "meshstream");
}

/**
 * Where the harness keeps the tools it fetches (grpcurl, cue, the Python venv,
 * the Kafka jars and Maven's repository), so a second run on the same machine starts fast.
 */
export function cacheDir(...parts: string[]): string {
  const dir = join(cacheRoot(), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Go's module and build caches under ours, so the tools' sources and builds stay with them. */
export function goCacheEnv(): Record<string, string> {
  return { GOMODCACHE: cacheDir("go", "mod"), GOCACHE: cacheDir("go", "build") };
}
