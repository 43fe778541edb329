import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

// `npm run bench -- <name>` runs test/bench/<name>/main.ts; benchmarks are on demand, never in `npm test`.
const available = readdirSync(__dirname, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const name = process.argv[2];
if (!name || !available.includes(name) || !existsSync(join(__dirname, name, "main.ts"))) {
  process.stderr.write(`usage: npm run bench -- <name>\navailable: ${available.join(", ") || "(none yet)"}\n`);
  process.exit(2);
}
// Each benchmark exports main(); the process exits when it is done (open clients and brokers' sockets would keep it alive).
const bench = require(join(__dirname, name, "main.ts")) as { main(): Promise<void> };
bench.main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
