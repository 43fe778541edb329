import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureNode, NODE_LTS_VERSION } from "../harness/node";

// `npm run bench -- <name>` runs test/bench/<name>/main.ts; benchmarks are on demand, never in `npm test`.
// MESHSTREAM_BENCH_NODE=<version> (or "lts": 24.21.0, the production image's) runs it, and the platforms
// it starts, on that Node from the npm registry instead of the machine's.
const available = readdirSync(__dirname, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const name = process.argv[2];
if (!name || !available.includes(name) || !existsSync(join(__dirname, name, "main.ts"))) {
  process.stderr.write(`usage: [MESHSTREAM_BENCH_NODE=<version>|lts] npm run bench -- <name>\navailable: ${available.join(", ") || "(none yet)"}\n`);
  process.exit(2);
}
const wanted = process.env.MESHSTREAM_BENCH_NODE === "lts" ? NODE_LTS_VERSION : process.env.MESHSTREAM_BENCH_NODE;
if (wanted && process.version !== `v${wanted}`) {
  void ensureNode(wanted).then(
    (node) => spawn(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" }).on("exit", (code) => process.exit(code ?? 1)),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  // Each benchmark exports main(); the process exits when it is done (open clients and brokers' sockets would keep it alive).
  const bench = require(join(__dirname, name, "main.ts")) as { main(): Promise<void> };
  bench.main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
