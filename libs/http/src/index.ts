export { HttpServer, type HttpLogEntry, type HttpServerOptions } from "./http-server";
export type { IncomingCall, RequestHook } from "./call-context";
export type { Services } from "./services";
export { problemContentType, type Problem } from "./problem";
