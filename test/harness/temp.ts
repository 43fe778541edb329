import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Cleanup = () => unknown;

const cleanups: Cleanup[] = [];

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

// Jest evaluates this module afresh for each test file, so this hook ends what
// that file made when the file ends, whether its tests passed or not. Outside
// jest (benchmarks) the process's exit does it; only synchronous steps run there.
if (typeof afterAll === "function") afterAll(runCleanups);
else process.once("exit", () => cleanups.splice(0).reverse().forEach((cleanup) => cleanup()));

/** Runs `cleanup` when the current test file (or, outside jest, the process) ends. */
export function onCleanup(cleanup: Cleanup): void {
  cleanups.push(cleanup);
}

/** A new temporary folder, removed with everything in it when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `meshstream-${prefix}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
