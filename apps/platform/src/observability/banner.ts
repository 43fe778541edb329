import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PlatformConfig } from "../config/config";
import { redact } from "./redact";

/** The version in the package.json above this file: the tree's from the sources, the build's (dist/..) in production. */
export function platformVersion(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "meshstream") return pkg.version ?? "unknown";
  }
  return "unknown";
}

/** The one line an operator reads first: what runs, how it is configured (secrets redacted), where it listens. */
export function startBanner(config: PlatformConfig, listeners: Record<string, string>): Record<string, unknown> {
  return { msg: "started", version: platformVersion(), node: process.version, pid: process.pid, config: redact(config), listeners };
}
