import type { PlatformLogger } from "./platform-logger";

/**
 * Node's process warnings (a deprecation, a listener leak, a negative
 * timeout in a dependency) as lines of the platform's JSON log at level
 * warn, in place of Node's own printing: a few lines of plain text on
 * stderr, which a collector reading JSON lines cannot parse, without the
 * request id or level the operator filters on.
 */
export function logNodeWarnings(logger: PlatformLogger): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error & { code?: string }) => {
    logger.warn({ msg: "node warning", name: warning.name, ...(warning.code ? { code: warning.code } : {}), warning: warning.message });
  });
}
