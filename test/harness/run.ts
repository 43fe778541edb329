import { spawn, type SpawnOptions } from "node:child_process";

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end and collects its output; never rejects for a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits without reading its input is not an error of ours.
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(options.input ?? "");
  });
}

/** Like run(), but a non-zero exit is an error that shows what the command said. */
export async function runOk(cmd: string, args: readonly string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}\n${r.stderr || r.stdout}`);
  }
  return r;
}

export interface LiveProcess {
  /** Everything printed on stdout so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once stdout satisfies `test`; rejects with what was printed if the process ends or the time runs out first. */
  waitFor(test: (stdout: string) => boolean, timeoutMs: number): Promise<string>;
  kill(): Promise<number | null>;
}

/** Starts a long-running command (a streaming client) whose output the test watches as it comes. */
export function spawnLive(cmd: string, args: readonly string[], options: SpawnOptions = {}): LiveProcess {
  const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.on("error", (err) => (spawnError = new Error(`cannot run ${cmd}: ${err.message}`)));
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: async (test, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (test(stdout)) return stdout;
        if (spawnError) throw spawnError;
        const ended = child.exitCode !== null || child.signalCode !== null;
        if (ended || Date.now() > deadline) {
          throw new Error(`${cmd} ${ended ? `exited (${child.exitCode ?? child.signalCode})` : `still running after ${timeoutMs} ms`} before the expected output.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
