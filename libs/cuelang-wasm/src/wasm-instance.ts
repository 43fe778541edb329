import { WASI } from "node:wasi";
import type { CompiledSchema, EngineReply } from "./types";
import type { ValidatorProgram } from "./validator-program";

interface Exports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  compile(ptr: number, len: number): bigint;
  validate(ptr: number, len: number): bigint;
  openapi(ptr: number, len: number): bigint;
  export(ptr: number, len: number): bigint;
  jsonschema(ptr: number, len: number): bigint;
  validator(ptr: number, len: number): bigint;
  subsumes(ptr: number, len: number): bigint;
  release(handle: number): void;
  configure(recycleAfter: number, maxDepth: number): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface InstanceOptions {
  /** Validations between two recycles of the CUE context. */
  readonly recycleAfter: number;
  /** Deepest JSON nesting accepted. */
  readonly maxDepth: number;
}

/** How much of what the engine prints is kept (the start says why it failed; the rest is goroutine stacks). */
const maxOutput = 2048;

/**
 * One engine instance, called synchronously: it lives in a worker thread,
 * where blocking is the point. Replies stay raw; the pool types them.
 */
export class WasmInstance {
  private printed = "";

  private constructor(private readonly x: Exports) {}

  static async create(module: WebAssembly.Module, options: InstanceOptions): Promise<WasmInstance> {
    // No preopened directories and no environment: the engine gets no access to the host.
    const wasi = new WASI({ version: "preview1", args: [], env: {}, returnOnExit: true });
    const imports = wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, unknown> };
    let engine: WasmInstance | undefined;
    // The engine writes only to stdout and stderr (it has no files): on a trap, the Go runtime
    // prints why ("fatal error: out of memory") and then every goroutine's stack, thousands of
    // lines. The start is kept for the pool to read; nothing reaches the platform's log.
    imports.wasi_snapshot_preview1.fd_write = (_fd: number, iovs: number, count: number, written: number) => {
      const view = new DataView(engine!.x.memory.buffer);
      let total = 0;
      for (let i = 0; i < count; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        if (engine!.printed.length < maxOutput) engine!.printed += decoder.decode(new Uint8Array(view.buffer, ptr, Math.min(len, maxOutput)));
        total += len;
      }
      view.setUint32(written, total, true);
      return 0;
    };
    const instance = await WebAssembly.instantiate(module, imports as WebAssembly.Imports);
    engine = new WasmInstance(instance.exports as unknown as Exports);
    wasi.initialize(instance);
    engine.x.configure(options.recycleAfter, options.maxDepth);
    return engine;
  }

  /** The start of what the engine printed since clearOutput() (only a failing Go runtime prints). */
  get output(): string {
    return this.printed;
  }

  clearOutput(): void {
    this.printed = "";
  }

  compile(filename: string, source: string): EngineReply<CompiledSchema> {
    return this.callJson("compile", { filename, source });
  }

  /** Undefined when the document is valid. */
  validate(handle: number, definition: string, document: Uint8Array): EngineReply<never> | undefined {
    const def = encoder.encode(definition);
    const size = 8 + def.length + document.length;
    const ptr = this.x.alloc(size);
    try {
      const view = new DataView(this.x.memory.buffer, ptr, size);
      view.setUint32(0, handle, true);
      view.setUint32(4, def.length, true);
      const bytes = new Uint8Array(this.x.memory.buffer, ptr, size);
      bytes.set(def, 8);
      bytes.set(document, 8 + def.length);
      return this.read<never>(this.x.validate(ptr, size));
    } finally {
      this.x.free(ptr);
    }
  }

  openApi(handle: number): EngineReply<unknown> {
    return this.callJson("openapi", { handle });
  }

  exportJson(handle: number): EngineReply<unknown> {
    return this.callJson("export", { handle });
  }

  jsonSchema(handle: number, definition: string): EngineReply<unknown> {
    return this.callJson("jsonschema", { handle, definition });
  }

  /** The validator program of a definition (see validator-program.ts). */
  validator(handle: number, definition: string): EngineReply<ValidatorProgram> {
    return this.callJson("validator", { handle, definition });
  }

  subsumes(general: { handle: number; definition: string }, specific: { handle: number; definition: string }): EngineReply<boolean> {
    return this.callJson("subsumes", { general, specific });
  }

  release(handle: number): void {
    this.x.release(handle);
  }

  /** Bytes of linear memory: it grows with the Go heap and never shrinks. */
  get memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  private callJson<T>(op: "compile" | "openapi" | "export" | "jsonschema" | "validator" | "subsumes", request: unknown): EngineReply<T> {
    const input = encoder.encode(JSON.stringify(request));
    const ptr = this.x.alloc(input.length);
    try {
      new Uint8Array(this.x.memory.buffer, ptr, input.length).set(input);
      return this.read<T>(this.x[op](ptr, input.length)) ?? {};
    } finally {
      this.x.free(ptr);
    }
  }

  private read<T>(result: bigint): EngineReply<T> | undefined {
    if (result === 0n) return undefined;
    const ptr = Number(result >> 32n);
    const len = Number(result & 0xffffffffn);
    try {
      return JSON.parse(decoder.decode(new Uint8Array(this.x.memory.buffer, ptr, len))) as EngineReply<T>;
    } finally {
      this.x.free(ptr);
    }
  }
}
