import * as grpc from "@grpc/grpc-js";
import type { PlatformMetrics } from "./metrics";

/**
 * Per-method gRPC server metrics as a grpc-js interceptor. Only registered
 * methods reach interceptors (grpc-js answers others UNIMPLEMENTED itself),
 * so the `method` label is bounded by the API.
 */
export function grpcMetricsInterceptor(metrics: PlatformMetrics): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const started = performance.now();
    let done = false;
    const finish = (code: grpc.status) => {
      if (done) return;
      done = true;
      metrics.grpcHandled.inc({ method: descriptor.path, code: grpc.status[code] ?? String(code) });
      metrics.grpcHandlingSeconds.observe({ method: descriptor.path }, (performance.now() - started) / 1000);
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
