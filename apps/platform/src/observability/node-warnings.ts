import type { PlatformLogger } from "./platform-logger";

/**
 * Node's process warnings (a deprecation, a listener leak, a negative
 * timeout in a dependency) as lines of the platform's JSON log at level
 * warn, in place of Node's own printing: a few lines of plain text on
 * stderr, which a collector reading JSON lines cannot parse, without the
 * request id or level the operator filters on.
 */
export function logNodeWarnings(logger: PlatformLogger): void {
  // What Node's own printing would leave out stays out: --no-warnings, --disable-warning=<type or code>.
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (flags.includes("--no-warnings")) return;
  const silenced = flags.flatMap((f) => (f.startsWith("--disable-warning=") ? [f.slice("--disable-warning=".length)] : []));
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error & { code?: string }) => {
    if (silenced.includes(warning.name) || silenced.includes(warning.code ?? "")) return;
    logger.warn({ msg: "node warning", name: warning.name, ...(warning.code ? { code: warning.code } : {}), warning: warning.message });
  });
}
