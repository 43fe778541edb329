import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { onCleanup, tempDir } from "./temp";

export const repoRoot = join(__dirname, "..", "..");

/**
 * The V8 flags the platform's start commands give node (package.json's start
 * scripts and the Dockerfile say the same; container-files.e2e checks): a
 * young generation large enough that an event's objects, alive for one Kafka
 * round trip, die young instead of being copied and promoted.
 */
export const PLATFORM_NODE_FLAGS = ["--max-semi-space-size=64"];

// Outside jest (benchmarks) cleanups run at exit, where only a synchronous kill can happen.
const jestRunning = typeof afterAll === "function";

export interface RunningPlatform {
  /** gRPC host:port. */
  readonly address: string;
  /** The HTTP face, http://host:port, or https:// with TLS ("" when MESHSTREAM_HTTP_LISTEN=off). */
  readonly httpUrl: string;
  /** host:port of the Prometheus listener ("" when MESHSTREAM_METRICS_LISTEN=off). */
  readonly metricsAddress: string;
  readonly process: ChildProcess;
  /** Every line the platform logged so far. */
  readonly logs: string[];
  readonly startedInMs: number;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A production tree: `dist/` built by `npm run build`, beside `npm ci --omit=dev`'s node_modules and schemas/. */
export interface ProductionTree {
  readonly root: string;
}

/**
 * Starts the platform as `npm start` does (or through `npm start` itself, for
 * the tests of what npm does with signals, or from a production tree as
 * `npm run start:prod` does), on a free loopback port with its own data
 * folder, and resolves once it logs its start banner (it serves by then). The
 * time limit only catches a hang: a machine shared with other test runs can
 * take 20 s and more to start it.
 */
// The limit only catches a hang: on the shared 2-core machine, under other suites' load, a start has taken over 20 s.
// `nodeFlags` replaces the start commands' V8 flags (the ingest bench measures what they buy); `npm` always uses its own.
export function startPlatform(env: Record<string, string> = {}, timeoutMs = 60_000, via: "node" | "npm" | ProductionTree = "node", nodeFlags: readonly string[] = PLATFORM_NODE_FLAGS): Promise<RunningPlatform> {
  const started = Date.now();
  // MESHSTREAM_PROFILE_DIR=dir: the platform writes a V8 CPU profile there when it stops (for the benchmarks' notes).
  const profile = process.env.MESHSTREAM_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.MESHSTREAM_PROFILE_DIR}`] : [];
  const [command, args] =
    via === "npm"
      ? ["npm", ["start", "--silent"]]
      : via === "node"
        ? [process.execPath, [...nodeFlags, ...profile, "-r", "@swc-node/register", "apps/platform/src/main.ts"]]
        : [process.execPath, [...nodeFlags, "--enable-source-maps", "dist/apps/platform/src/main.js"]];
  const child = spawn(command, args, {
    cwd: typeof via === "object" ? via.root : repoRoot,
    env: {
      ...process.env,
      MESHSTREAM_LISTEN: "127.0.0.1:0",
      MESHSTREAM_HTTP_LISTEN: "127.0.0.1:0",
      MESHSTREAM_METRICS_LISTEN: "127.0.0.1:0",
      MESHSTREAM_DATA_DIR: tempDir("data"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // npm in a process group of its own, so that whatever it started can be ended with it.
    detached: via === "npm",
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null) child.kill(signal);
    return exited;
  };
  // A test that failed before stopping its platform must not leave it serving (its data folder goes next).
  onCleanup(async () => {
    if (jestRunning) await Promise.race([stop(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    if (via === "npm") killGroup(child.pid!);
    else child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    let address = "";
    let httpUrl = "";
    let metricsAddress = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`platform did not serve within ${timeoutMs} ms:\n${logs.join("\n")}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      const message = tryParse(line)?.message;
      if (message?.msg === "listening") address = String(message.address);
      if (message?.msg === "http listening") httpUrl = `${env.MESHSTREAM_TLS_CERT ? "https" : "http"}://${String(message.address)}`;
      if (message?.msg === "metrics listening") metricsAddress = String(message.address);
      // The banner comes once everything listens, HTTP and metrics included.
      if (message?.msg === "started") {
        clearTimeout(timer);
        resolve({ address, httpUrl, metricsAddress, process: child, logs, startedInMs: Date.now() - started, stop });
      }
    };
    lines(child.stdout!, onLine);
    lines(child.stderr!, onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited with ${code} before serving:\n${logs.join("\n")}`));
    });
  });
}

function tryParse(line: string): { message?: Record<string, unknown> } | undefined {
  try {
    return JSON.parse(line) as { message?: Record<string, unknown> };
  } catch {
    return undefined;
  }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = "";
  stream.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop() ?? "";
    parts.filter(Boolean).forEach(onLine);
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Nothing left in the group.
  }
}
