import * as grpc from "@grpc/grpc-js";
import { openCall, requestIdHeader, runInCall, type CallTracer, type OpenCall } from "./call-scope";

export interface CallLogEntry {
  readonly method: string;
  readonly code: string;
  readonly durationMs: number;
  readonly peer: string;
}

/**
 * Opens each call's scope (request id, trace span) as its metadata arrives,
 * answers with the request id as a header, and ends the span and writes one
 * log entry, in the call's scope, whatever ends the call: a status sent or a
 * client that cancelled.
 */
export function callInterceptor(tracer: CallTracer | undefined, log: ((entry: CallLogEntry) => void) | undefined): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const started = performance.now();
    const method = descriptor.path.slice(1);
    let opened: OpenCall | undefined;
    let finished = false;
    const finish = (code: grpc.status, details?: string) => {
      if (finished) return;
      finished = true;
      opened?.traced.end(code, details);
      if (!log) return;
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const entry = { method: descriptor.path, code: grpc.status[code] ?? String(code), durationMs, peer: call.getPeer() };
      if (opened) runInCall(opened.scope, () => log(entry));
      else log(entry);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            opened = openCall(method, metadata, tracer);
            nextMetadata(metadata);
          },
          onCancel: () => finish(grpc.status.CANCELLED),
        }),
      sendMetadata: (metadata, next) => {
        if (opened) metadata.set(requestIdHeader, opened.scope.requestId);
        next(metadata);
      },
      sendStatus: (status, next) => {
        finish(status.code, status.details);
        next(status);
      },
    });
  };
}
