import * as grpc from "@grpc/grpc-js";

export interface CallLogEntry {
  readonly method: string;
  readonly code: string;
  readonly durationMs: number;
  readonly peer: string;
}

/** One log entry per call, whatever ends it: a status sent or a client that cancelled. */
export function callLogInterceptor(log: (entry: CallLogEntry) => void): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const started = performance.now();
    let logged = false;
    const finish = (code: grpc.status) => {
      if (logged) return;
      logged = true;
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      log({ method: descriptor.path, code: grpc.status[code] ?? String(code), durationMs, peer: call.getPeer() });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => finish(grpc.status.CANCELLED) }),
      sendStatus: (status, next) => {
        finish(status.code);
        next(status);
      },
    });
  };
}
