import { readdirSync, readFileSync } from "node:fs";
import { CueEngine } from "./cue-engine";
import { WORKER_NICENESS } from "./thread-priority";

/** The nice value of each thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ");
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

describe("the engine's worker threads", () => {
  it("run below the thread that serves calls (niceness 10 against 0), so that a costly schema takes spare CPU only", async () => {
    const before = new Set(niceness().keys());
    const engine = await CueEngine.start({ workers: 2 });
    try {
      const schema = await engine.compile('#Identity: {first: =~"[A-Z].*"}');
      expect(await engine.validate({ schema, definition: "#Identity" }, '{"first": "Ann"}')).toEqual([]);
      const now = niceness();
      const lowered = [...now].filter(([tid, nice]) => !before.has(tid) && nice === WORKER_NICENESS);
      expect(lowered.length).toBeGreaterThanOrEqual(2);
      expect(now.get(process.pid)).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
