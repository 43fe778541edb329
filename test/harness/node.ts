import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "./cache";
import { runOk } from "./run";
import { setupStep } from "./setup-step";

/** The LTS line CI runs besides the machine's Node: the newest 24.x when this was pinned. */
export const NODE_LTS_VERSION = "24.21.0";

/**
 * A Node binary of the given version from the npm registry's `node` package
 * (its install step brings the platform's binary as another npm package, so
 * nothing is downloaded from anywhere else), installed into the cache.
 */
export function ensureNode(version: string = NODE_LTS_VERSION): Promise<string> {
  const prefix = cacheDir("tools", `node-${version}`);
  const node = join(prefix, "node_modules", ".bin", "node");
  if (existsSync(node)) return Promise.resolve(node);
  return setupStep(`Node ${version} (npm package node@${version})`, async () => {
    try {
      await runOk("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `node@${version}`], { timeoutMs: 5 * 60_000 });
      const { stdout } = await runOk(node, ["--version"]);
      if (stdout.trim() !== `v${version}`) throw new Error(`it says ${stdout.trim()}`);
    } catch (err) {
      throw new Error(`could not install Node ${version} from the npm registry into ${prefix}: ${String(err)}`);
    }
    return node;
  });
}
