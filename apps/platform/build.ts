import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { transformFile, type Options } from "@swc/core";

// `npm run build [-- <out dir>]`: the platform compiled to JavaScript with
// source maps, the tree mirrored under the out dir (dist/ by default), so
// that the files each module finds beside itself (the descriptor set, the
// CUE engine, the worker's entry) are found there too. Type checking is
// tsc's job (`npm run lint`); this only emits.

const root = resolve(__dirname, "..", "..");
const sources = ["apps/platform/src", ...readdirSync(join(root, "libs")).map((lib) => `libs/${lib}/src`)];
/** Committed artefacts read at run time from outside a src folder. */
const assets = ["libs/cuelang-wasm/dist"];
/** Test code, and declarations that emit nothing. */
const testOrTypesOnly = /\.(spec|contract)\.ts$|\.d\.ts$/;

const swc: Options = {
  swcrc: false,
  configFile: false,
  sourceMaps: true,
  module: { type: "commonjs" },
  jsc: {
    target: "es2022",
    parser: { syntax: "typescript", decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    // The workspace's @meshstream/* imports become relative requires, as tsconfig.json maps them.
    baseUrl: root,
    paths: { "@meshstream/*": ["libs/*/src/index.ts"] },
  },
};

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

async function compile(file: string, outDir: string): Promise<void> {
  const out = join(outDir, file.replace(/\.ts$/, ".js"));
  const { code, map } = await transformFile(join(root, file), { ...swc, sourceFileName: relative(dirname(out), join(root, file)) });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${code}\n//# sourceMappingURL=${out.slice(dirname(out).length + 1)}.map\n`);
  writeFileSync(`${out}.map`, map!);
}

function copy(file: string, outDir: string): void {
  mkdirSync(dirname(join(outDir, file)), { recursive: true });
  copyFileSync(join(root, file), join(outDir, file));
}

async function main(): Promise<void> {
  const outDir = resolve(process.argv[2] ?? join(root, "dist"));
  rmSync(outDir, { recursive: true, force: true });
  const files = sources.flatMap(filesUnder).filter((f) => !testOrTypesOnly.test(f));
  await Promise.all(files.filter((f) => f.endsWith(".ts")).map((f) => compile(f, outDir)));
  for (const f of [...files.filter((f) => !f.endsWith(".ts")), ...assets.flatMap(filesUnder)]) copy(f, outDir);
  process.stdout.write(`built ${files.length} files into ${relative(process.cwd(), outDir) || "."}; start it with: npm run start:prod\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
