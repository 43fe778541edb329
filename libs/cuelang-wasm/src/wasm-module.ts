import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const wasmGzPath = join(__dirname, "..", "dist", "cuelang.wasm.gz");
export const wasmSha256Path = `${wasmGzPath}.sha256`;

/** WebAssembly memory grows in pages of 64 KiB. */
const pageBytes = 65536;

const compiled = new Map<number, Promise<WebAssembly.Module>>();

/**
 * The engine module, read, checked against its committed sha256 and compiled
 * once per memory limit (a compiled module crosses to the workers without
 * being compiled again).
 *
 * The Go toolchain declares the module's memory with no maximum. The limit
 * is written into the module's memory section here, so that the engine
 * itself cannot grow past it: an evaluation that needs more fails inside the
 * engine (Go's "out of memory"), not in the operating system.
 */
export function engineModule(maxMemoryBytes = 0): Promise<WebAssembly.Module> {
  let module = compiled.get(maxMemoryBytes);
  if (!module) {
    module = (async () => {
      // Not kept: the 32 MB of bytes are garbage once compiled.
      const bytes = verified();
      return WebAssembly.compile(maxMemoryBytes > 0 ? withMemoryMaximum(bytes, Math.ceil(maxMemoryBytes / pageBytes)) : bytes);
    })();
    compiled.set(maxMemoryBytes, module);
  }
  return module;
}

function verified(): Buffer {
  const gz = readFileSync(wasmGzPath);
  const expected = readFileSync(wasmSha256Path, "utf8").trim().split(/\s+/)[0];
  const actual = createHash("sha256").update(gz).digest("hex");
  if (actual !== expected) {
    throw new Error(`${wasmGzPath} does not match its sha256 (${actual} != ${expected}): run 'npm run build:cue'`);
  }
  return gunzipSync(gz);
}

/**
 * The module with a maximum on its one memory (binary format: section 5 is a
 * vector of limits, flag 0 = min only, 1 = min and max, sizes in LEB128).
 * Sections are independent of their offsets, so the rest is copied as is.
 */
export function withMemoryMaximum(wasm: Buffer, maxPages: number): Buffer {
  let p = 8; // magic and version
  while (p < wasm.length) {
    const start = p;
    const id = wasm[p++]!;
    let size: number;
    [size, p] = readLeb(wasm, p);
    if (id === 5) {
      let q = p;
      let count: number;
      [count, q] = readLeb(wasm, q);
      const flags = wasm[q++]!;
      if (count !== 1 || (flags & ~1) !== 0) throw new Error(`unexpected memory section (count ${count}, flags ${flags})`);
      let min: number;
      [min, q] = readLeb(wasm, q);
      const body = Buffer.from([1, 1, ...leb(min), ...leb(Math.max(min, maxPages))]);
      return Buffer.concat([wasm.subarray(0, start), Buffer.from([5, ...leb(body.length)]), body, wasm.subarray(p + size)]);
    }
    p += size;
  }
  throw new Error("the module has no memory section");
}

function readLeb(b: Buffer, p: number): [number, number] {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = b[p++]!;
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [result, p];
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
