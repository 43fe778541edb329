export { GrpcServer, LIVENESS, READINESS, type GrpcServerOptions } from "./grpc-server";
export { GrpcModule, GrpcServerHost, GRPC_SERVER_OPTIONS } from "./grpc.module";
export { GrpcService } from "./grpc-service.decorator";
export type { CallContext, MethodImpl, RequestHeaders, ServiceImpl } from "./service-impl";
export type { CallLogEntry } from "./call-log";
export { boundedText } from "./bounded-text";
export { currentCall, requestIdHeader, runInCall, type CallScope, type CallTracer, type TracedCall } from "./call-scope";
export { CallError, isDomainError, maxStatusBytes, toRpcStatus, toStatusObject, type DomainCode, type DomainError, type FieldViolation } from "./status";
export { loadTlsFiles, ReloadingServerCredentials, TlsFilesError, watchTlsFiles, type TlsFiles, type TlsReload } from "./tls";
