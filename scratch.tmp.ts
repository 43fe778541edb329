import { monitorEventLoopDelay } from "node:perf_hooks";
import { CueEngine } from "./libs/cuelang-wasm/src/cue-engine";
const identity = '#Identity: {first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130}';
const slowS = 'import ("list", "strconv")\n#T: {n: string, l: list.Range(0, strconv.Atoi(n), 1)}';
const hungryS = 'import ("strings", "strconv")\n#T: {n: string, s: strings.Repeat(strings.Repeat("x", 1000), strconv.Atoi(n))}';
(async () => {
  const engine = await CueEngine.start({ workers: 2, timeoutMs: 3000, memoryLimitBytes: 256 * 1024 * 1024 });
  const good = { schema: await engine.compile(identity), definition: "#Identity" };
  const slow = { schema: await engine.compile(slowS), definition: "#T" };
  const hungry = { schema: await engine.compile(hungryS), definition: "#T" };
  for (let i = 0; i < 30; i++) await engine.validate(good, '{"first":"John","Last":"Doe","Age":40}', { group: "people" });
  const h = monitorEventLoopDelay({ resolution: 10 }); h.enable();
  const t0 = performance.now();
  const ts = () => (performance.now() - t0).toFixed(0);
  let stop = false;
  const answers: string[] = [];
  const att = async (t: any, n: string) => { while (!stop) { const s = performance.now(); await engine.validate(t, JSON.stringify({ n }), { group: "hostile" }).then(() => answers.push("ok"), (e) => answers.push(e.message.slice(0, 50))); console.log(ts(), "hostile answered in", (performance.now() - s).toFixed(0), answers.at(-1)); } };
  const atts = [att(slow, "2000000000"), att(slow, "2000000000"), att(hungry, "1000000"), att(hungry, "1000000")];
  const lat: number[] = [];
  const until = Date.now() + 8000;
  const state = () => { const e = engine as any; const g = e.groups.get("people"); const hg = e.groups.get("hostile"); return `people q${g?.queue.length} b${g?.busy} hostile q${hg?.queue.length} b${hg?.busy} slow${hg?.slowUntil > Date.now()} workers ${e.workers.map((w: any) => `${w.isReady ? "R" : "-"}${w.retired ? "x" : ""}${w.niced ? "n" : ""}${w.job ? "J" + (w.job.group === g ? "p" : "h") : ""}`).join(",")} spare ${e.spare ? (e.spare.isReady ? "R" : "-") : "none"}`; };
  while (Date.now() < until) {
    const s = performance.now();
    const watch = setInterval(() => { if (performance.now() - s > 200) console.log(ts(), "waiting", (performance.now() - s).toFixed(0), state()); }, 250);
    await engine.validate(good, '{"first":"John","Last":"Doe","Age":40}', { group: "people" });
    const l = performance.now() - s;
    clearInterval(watch);
    lat.push(l);
    if (l > 50) console.log(ts(), "slow good", l.toFixed(0), (engine as any).workers.map((w: any) => `${w.isReady ? "R" : "-"}${w.retired ? "x" : ""}${w.niced ? "n" : ""}${w.job ? "J" : ""}`).join(","));
    await new Promise((r) => setTimeout(r, 15));
  }
  stop = true;
  await Promise.all(atts);
  lat.sort((a, b) => a - b);
  console.log("n", lat.length, "p50", lat[Math.floor(lat.length / 2)]!.toFixed(1), "p99", lat[Math.floor(lat.length * 0.99)]!.toFixed(1), "loop delay p99 ms", h.percentile(99) / 1e6, "max", h.max / 1e6, JSON.stringify(engine.counters));
  await engine.close();
})();
