import { chromium, type BrowserContext } from "playwright-core";
import { toolPath } from "./tool-paths";
import { tempDir } from "./temp";

/**
 * Debian's Chromium (installed by the global set-up), headless, driven by
 * playwright-core through its executable path: no browser is downloaded.
 * A fresh profile in a temp dir, and Chromium's own temp files there too,
 * removed with it when the test file ends.
 */
export async function launchChromium(): Promise<BrowserContext> {
  const profile = tempDir("chromium-profile");
  const scratch = tempDir("chromium-tmp");
  return chromium.launchPersistentContext(profile, {
    executablePath: toolPath("CHROMIUM"),
    headless: true, // --headless
    chromiumSandbox: false, // --no-sandbox: the tests run as root
    args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    env: { ...process.env, TMPDIR: scratch },
    timeout: 60_000,
  });
}
