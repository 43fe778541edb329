import { parentPort, workerData } from "node:worker_threads";
import type { DefinitionRef, WorkerInit, WorkerRequest, WorkerResponse, WorkerWarning } from "./protocol";
import type { EngineReply } from "./types";
import { WasmInstance } from "./wasm-instance";

// Node's warnings here go to the main thread, which prints or logs them as its own; those this
// thread's --disable-warning flags silence (WASI's ExperimentalWarning) stay silent, as Node's own
// printing would keep them.
const silenced = process.execArgv.flatMap((a) => (a.startsWith("--disable-warning=") ? [a.slice("--disable-warning=".length)] : []));
process.removeAllListeners("warning");
process.on("warning", (w: Error & { code?: string }) => {
  if (!silenced.includes(w.name) && !silenced.includes(w.code ?? "")) parentPort!.postMessage({ warning: { name: w.name, message: w.message, code: w.code } } satisfies WorkerWarning);
});

// One engine per worker thread; requests are handled one at a time, in order.
async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const engine = await WasmInstance.create(init.module, init);
  const handles = new Map<number, number>();
  const handle = (id: number) => handles.get(id) ?? 0;
  const ref = (r: DefinitionRef) => ({ handle: handle(r.schema), definition: r.definition });

  const handleRequest = (req: WorkerRequest): EngineReply<unknown> | undefined => {
    for (const s of req.install) {
      if (handles.has(s.id)) continue;
      const compiled = engine.compile(s.filename, s.source);
      if (!compiled.ok) return compiled;
      handles.set(s.id, compiled.ok.handle);
    }
    const call = req.call;
    switch (call.op) {
      case "compile": {
        const compiled = engine.compile(call.schema.filename, call.schema.source);
        if (compiled.ok) handles.set(call.schema.id, compiled.ok.handle);
        return compiled;
      }
      case "validate":
        return { ok: call.items.map((i) => engine.validate(handle(i.ref.schema), i.ref.definition, i.document)) };
      case "openapi":
        return engine.openApi(handle(call.schema));
      case "export":
        return engine.exportJson(handle(call.schema));
      case "jsonschema":
        return engine.jsonSchema(handle(call.ref.schema), call.ref.definition);
      case "validator":
        return engine.validator(handle(call.ref.schema), call.ref.definition);
      case "subsumes":
        return engine.subsumes(ref(call.general), ref(call.specific));
      case "release":
        if (handles.has(call.schema)) engine.release(handle(call.schema));
        handles.delete(call.schema);
        return {};
      case "stats":
        return { ok: { memoryBytes: engine.memoryBytes, schemas: handles.size } };
    }
  };

  port.on("message", (req: WorkerRequest) => {
    let response: WorkerResponse;
    try {
      engine.clearOutput();
      response = { id: req.id, reply: handleRequest(req), memoryBytes: engine.memoryBytes };
    } catch (err) {
      // A trap (stack overflow, out of memory) leaves the instance unusable. The Go runtime says
      // why before it traps: "fatal error: out of memory" when the module's memory maximum is hit.
      const said = engine.output.split("\n").find((l) => l.startsWith("fatal error") || l.startsWith("panic")) ?? "";
      const outOfMemory = /out of memory/.test(engine.output);
      port.postMessage({ id: req.id, fatal: said ? `${said} (${String(err)})` : String(err), outOfMemory, memoryBytes: engine.memoryBytes } satisfies WorkerResponse);
      process.exit(1);
    }
    port.postMessage(response);
  });
  port.postMessage({ id: 0 } satisfies WorkerResponse);
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ id: 0, fatal: `engine failed to start: ${String(err)}` } satisfies WorkerResponse);
  process.exit(1);
});
