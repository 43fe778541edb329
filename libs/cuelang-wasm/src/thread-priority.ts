import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Niceness of the engine's worker threads: the thread that serves calls keeps 0. */
export const WORKER_NICENESS = 10;

/**
 * Lowers the calling thread's CPU priority. On Linux every thread has its own
 * nice value, set through its thread id (/proc/thread-self names it).
 *
 * Why: on a machine with as many workers as cores, a schema that evaluates
 * for its whole time limit would otherwise take the CPU from the thread that
 * serves calls, and so slow every product's publishes, fast path included.
 * At niceness 10 a worker gets about a tenth of a core the main thread wants,
 * and all of one it does not. Best effort: false where it cannot be done.
 */
export function lowerThreadPriority(niceness = WORKER_NICENESS): boolean {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return false;
    setPriority(tid, niceness);
    return true;
  } catch {
    return false;
  }
}
