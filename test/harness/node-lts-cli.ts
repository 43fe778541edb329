import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { ensureNode, NODE_LTS_VERSION } from "./node";
import { repoRoot } from "./platform";

// `npm run test:node-lts [-- <version>]`: the unit tests and the seed e2e on
// another Node line (24 by default) taken from the npm registry. Child
// processes the tests start (the platform, `npm start`) find it first on PATH.
async function main(): Promise<void> {
  const version = process.argv[2] ?? NODE_LTS_VERSION;
  const node = await ensureNode(version);
  const jest = join(repoRoot, "node_modules", "jest", "bin", "jest.js");
  // The engine's reproducible-build check runs Go, not Node: the main run covers it.
  const args = [jest, "--testPathPatterns", "\\.spec\\.ts$", "test/e2e/ingest\\.e2e\\.ts$", "--testPathIgnorePatterns", "/node_modules/", "/test/bench/", "libs/cuelang-wasm/src/build\\.spec\\.ts"];
  process.stderr.write(`[meshstream] unit tests and the seed e2e on Node ${version}: ${node}\n`);
  const child = spawn(node, args, {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ""}` },
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
