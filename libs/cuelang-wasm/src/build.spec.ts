import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { goCacheEnv } from "../../../test/harness/cache";
import { buildWasm, committedChecksums, wasmSha256 } from "../build";
import { wasmGzPath } from "./wasm-module";

describe("the committed engine module", () => {
  it("matches its committed sha256", () => {
    const gz = readFileSync(wasmGzPath);
    const sums = committedChecksums();
    expect(createHash("sha256").update(gz).digest("hex")).toBe(sums.gz);
    expect(wasmSha256(gunzipSync(gz))).toBe(sums.wasm);
  });

  // Go is part of this project's toolchain (it builds the engine and installs
  // grpcurl), so the rebuild check always runs; without Go it fails, saying so.
  it("is what `npm run build:cue` builds from go/ now (reproducible build)", async () => {
    const wasm = await buildWasm(goCacheEnv());
    expect(wasmSha256(wasm)).toBe(committedChecksums().wasm);
  }, 20 * 60_000);
});
