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

/**
 * One engine instance, called synchronously: it lives in a worker thread,
 * where blocking is the point. Replies stay raw; the pool types them.
 */
export class WasmInstance {
  private constructor(private readonly x: Exports) {}

  static async create(module: WebAssembly.Module, options: InstanceOptions): Promise<WasmInstance> {
    // No preopened directories and no environment: the engine gets no access to the host.
    const wasi = new WASI({ version: "preview1", args: [], env: {}, returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    const exports = instance.exports as unknown as Exports;
    exports.configure(options.recycleAfter, options.maxDepth);
    return new WasmInstance(exports);
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
