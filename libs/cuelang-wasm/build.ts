import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { runOk } from "../../test/harness/run";
import { wasmGzPath, wasmSha256Path } from "./src/wasm-module";

/** Pinned so that a rebuild anywhere gives the same bytes; the Go module proxy serves this toolchain. */
export const GO_TOOLCHAIN = "go1.26.8";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Builds the engine (wasip1 reactor) into a temporary file and returns its bytes. */
export async function buildWasm(): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "cuelang-wasm-"));
  try {
    const out = join(dir, "cuelang.wasm");
    await runOk("go", ["build", "-trimpath", "-buildvcs=false", "-buildmode=c-shared", "-ldflags=-s -w -buildid=", "-o", out, "."], {
      cwd: join(__dirname, "go"),
      env: { ...process.env, GOOS: "wasip1", GOARCH: "wasm", CGO_ENABLED: "0", GOTOOLCHAIN: GO_TOOLCHAIN, GOFLAGS: "-mod=readonly" },
      timeoutMs: 20 * 60_000,
    });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checksums committed beside the module: of the gzip file, then of the wasm inside. */
export function committedChecksums(): { gz: string; wasm: string } {
  const [gz, wasm] = readFileSync(wasmSha256Path, "utf8").trim().split("\n").map((l) => l.split(/\s+/)[0]!);
  return { gz: gz!, wasm: wasm! };
}

export function wasmSha256(wasm: Uint8Array): string {
  return sha256(wasm);
}

async function main(): Promise<void> {
  const wasm = await buildWasm();
  const gz = gzipSync(wasm, { level: 9 });
  writeFileSync(wasmGzPath, gz);
  writeFileSync(wasmSha256Path, `${sha256(gz)}  cuelang.wasm.gz\n${sha256(wasm)}  cuelang.wasm\n`);
  process.stdout.write(`wrote ${wasmGzPath} (${gz.length} bytes; wasm ${wasm.length} bytes, sha256 ${sha256(wasm)})\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`build:cue failed: ${String(err)}\n`);
    process.exit(1);
  });
}
