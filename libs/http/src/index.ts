export { HttpServer, type HttpLogEntry, type HttpServerOptions } from "./http-server";
export type { IncomingCall, RequestHook } from "./call-context";
export type { RequestTracer, TracedRequest } from "./request-tracer";
export type { Services } from "./services";
export { problemContentType, type Problem } from "./problem";
