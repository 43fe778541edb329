import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the harness keeps the tools it fetches (grpcurl, the Python venv, the
 * Kafka jars), so a second run on the same machine starts fast.
 */
export function cacheDir(...parts: string[]): string {
  const dir = join(process.env.MESHSTREAM_CACHE ?? join(homedir(), ".cache", "meshstream"), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
