import type * as grpc from "@grpc/grpc-js";

/** What a test sees of a server stream: the messages so far, the headers' arrival, the end. */
export interface StreamReader<T> {
  readonly items: T[];
  /** Resolves once the server has sent its response headers. */
  readonly ready: Promise<void>;
  /** Resolves when the stream ends with OK; rejects with its error status. */
  readonly ended: Promise<void>;
  /** Resolves with the first `n` messages; rejects on a stream error or after `timeoutMs`. */
  first(n: number, timeoutMs?: number): Promise<T[]>;
  /** Rejects with the stream's error status, or after `timeoutMs`. */
  failure(timeoutMs?: number): Promise<grpc.ServiceError>;
  cancel(): void;
}

/** Reads a server stream, or the responses of a bidi stream. */
export function readStream<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<never, T>): StreamReader<T> {
  const items: T[] = [];
  let error: grpc.ServiceError | undefined;
  let cancelled = false;
  stream.on("data", (m: T) => items.push(m));
  stream.on("error", (e: grpc.ServiceError) => (error = e));
  const ready = new Promise<void>((resolve, reject) => {
    stream.once("metadata", () => resolve());
    stream.once("error", reject);
  });
  ready.catch(() => undefined);
  const ended = new Promise<void>((resolve, reject) => {
    stream.once("end", () => resolve());
    stream.once("error", reject);
  });
  ended.catch(() => undefined);
  const until = async <R>(done: () => R | undefined, what: string, timeoutMs: number): Promise<R> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = done();
      if (value !== undefined) return value;
      if (error && !cancelled) throw new Error(`stream failed before ${what}: ${error.message}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms (${items.length} messages so far)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    items,
    ready,
    ended,
    first: (n, timeoutMs = 20_000) => until(() => (items.length >= n ? items.slice(0, n) : undefined), `${n} messages`, timeoutMs),
    failure: (timeoutMs = 20_000) => until(() => error, "error", timeoutMs),
    cancel: () => {
      cancelled = true;
      stream.cancel();
    },
  };
}
