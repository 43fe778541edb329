import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "./run";
import { setupStep } from "./setup-step";

/** A program from Debian's packages: found on PATH, or installed with apt-get (as root) when absent. */
async function debianTool(binary: string, pkg: string, why: string): Promise<string> {
  const found = (process.env.PATH ?? "").split(":").map((dir) => join(dir, binary)).find((p) => existsSync(p));
  if (found) return found;
  return setupStep(`${pkg} (apt-get install)`, async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = await run("apt-get", ["install", "-y", "-q", pkg], { env, timeoutMs: 10 * 60_000 });
    // A machine whose package lists were never fetched knows no package yet.
    if (r.code !== 0) {
      await run("apt-get", ["update", "-q"], { env, timeoutMs: 5 * 60_000 });
      r = await run("apt-get", ["install", "-y", "-q", pkg], { env, timeoutMs: 10 * 60_000 });
    }
    const path = `/usr/bin/${binary}`;
    if (r.code !== 0 || !existsSync(path)) {
      throw new Error(`${why}, and ${binary} is not installed: 'apt-get install -y ${pkg}' failed (it needs root and Debian's package repository):\n${(r.stderr || r.stdout).slice(-2000)}`);
    }
    return path;
  });
}

export const ensureCurl = () => debianTool("curl", "curl", "the HTTP e2e tests run curl");

/** Debian's Chromium, driven by playwright-core through its executable path: no browser is ever downloaded. */
export const ensureChromium = () => debianTool("chromium", "chromium", "the browser test drives Debian's Chromium");
