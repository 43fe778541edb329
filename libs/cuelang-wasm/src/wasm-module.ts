import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const wasmGzPath = join(__dirname, "..", "dist", "cuelang.wasm.gz");
export const wasmSha256Path = `${wasmGzPath}.sha256`;

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * The engine module, read, checked against its committed sha256 and compiled
 * once per thread (a compiled module cannot cross threads without copying
 * anyway: each worker compiles its own, in parallel).
 */
export function engineModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const gz = readFileSync(wasmGzPath);
    const expected = readFileSync(wasmSha256Path, "utf8").trim().split(/\s+/)[0];
    const actual = createHash("sha256").update(gz).digest("hex");
    if (actual !== expected) {
      throw new Error(`${wasmGzPath} does not match its sha256 (${actual} != ${expected}): run 'npm run build:cue'`);
    }
    return WebAssembly.compile(gunzipSync(gz));
  })();
  return compiled;
}
