import { Worker } from "node:worker_threads";
import { join } from "node:path";
(async () => {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const w = new Worker(`const t=performance.now(); if (!require.extensions[".ts"]) require("@swc-node/register"); const a=performance.now(); require("${join(__dirname, "libs/cuelang-wasm/src/wasm-instance.ts")}"); require("${join(__dirname, "libs/cuelang-wasm/src/protocol.ts")}"); require("worker_threads").parentPort.postMessage([a-t, performance.now()-a]);`, { eval: true });
    const [reg, req] = await new Promise<number[]>((r) => w.once("message", r));
    console.log("thread+register", (reg).toFixed(0), "require ts", req.toFixed(0), "total", (performance.now() - t).toFixed(0));
    await w.terminate();
  }
})();
