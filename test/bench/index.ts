import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

// `npm run bench -- <name>` runs test/bench/<name>/main.ts; benchmarks are on demand, never in `npm test`.
const available = readdirSync(__dirname, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const name = process.argv[2];
if (!name || !available.includes(name) || !existsSync(join(__dirname, name, "main.ts"))) {
  process.stderr.write(`usage: npm run bench -- <name>\navailable: ${available.join(", ") || "(none yet)"}\n`);
  process.exit(2);
}
require(join(__dirname, name, "main.ts"));
