export { GrpcServer, type GrpcServerOptions } from "./grpc-server";
export { GrpcModule, GrpcServerHost, GRPC_SERVER_OPTIONS } from "./grpc.module";
export { GrpcService } from "./grpc-service.decorator";
export type { CallContext, MethodImpl, ServiceImpl } from "./service-impl";
export type { CallLogEntry } from "./call-log";
export { boundedText } from "./bounded-text";
export { CallError, isDomainError, maxStatusBytes, toRpcStatus, toStatusObject, type DomainCode, type DomainError, type FieldViolation } from "./status";
