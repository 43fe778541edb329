import { cors as connectCors } from "@connectrpc/connect";
import fastifyCors from "@fastify/cors";
import { trustedCaller } from "@meshstream/access";
import { CallError, loadTlsFiles, watchTlsFiles, type TlsFiles } from "@meshstream/grpc";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { incomingCall, OpenCalls, setCaller, type RequestHook } from "./call-context";
import { catalogRoutes } from "./catalog-routes";
import { connectRoutes, type InternalErrorSink } from "./connect";
import { DualServer } from "./dual-server";
import { httpProblem, problemContentType, problemOf, type Problem } from "./problem";
import { publishRoutes } from "./publish-routes";
import { routeOf, traceRequests, type RequestTracer } from "./request-tracer";
import type { Services } from "./services";
import { subscribeRoutes } from "./subscribe-routes";

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Largest request body, as on gRPC; larger ones get 413. */
  readonly maxBodyBytes: number;
  /** Origins allowed by CORS ("*" for any); none: no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** How long shutdown waits for requests in flight before cutting them. */
  readonly shutdownGraceMs: number;
  /** Comment lines on idle event streams, so that proxies keep them open. */
  readonly heartbeatMs?: number;
  /** Who calls: runs once per request before any route; none: every caller is trusted (no access control). */
  readonly authenticate?: RequestHook;
  /** TLS (HTTP/1.1 and HTTP/2 negotiated by ALPN) from PEM files re-read when they change, as on gRPC; none: cleartext (HTTP/1.1 and h2c). */
  readonly tls?: TlsFiles;
  readonly onTlsReload?: (outcome: { ok: true } | { ok: false; error: string }) => void;
  readonly logRequest?: (entry: HttpLogEntry) => void;
  /** A span per request (see RequestTracer); none without it. */
  readonly tracer?: RequestTracer;
  readonly onInternalError?: InternalErrorSink;
}

export interface HttpLogEntry {
  readonly method: string;
  readonly url: string;
  /** The route's pattern (`/catalog/types/:type`, a Connect method's path), "" when none matched: a bounded label. */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly peer: string;
}

/**
 * The platform's HTTP face on one listener (HTTP/1.1 and h2c): CloudEvents
 * publishing, Server-Sent Events and pages of events, the catalog and
 * OpenAPI, and the Connect protocol, all over the service objects gRPC serves.
 * Lifecycle: listen, close (stop accepting, end streams, drain, then cut).
 */
export class HttpServer {
  private readonly app: FastifyInstance;
  private readonly dual: DualServer;
  private readonly calls = new OpenCalls();
  private readonly shutdown = new AbortController();
  private port = 0;
  private stopping?: Promise<void>;
  private stopWatchingTls = () => {};

  constructor(services: Services, private readonly options: HttpServerOptions) {
    // Throws at once, naming the file, when the TLS files cannot be used.
    const tls = options.tls ? loadTlsFiles(options.tls) : undefined;
    let dual: DualServer | undefined;
    this.app = Fastify({
      bodyLimit: options.maxBodyBytes,
      // Event types are path segments and may be long.
      routerOptions: { maxParamLength: 1024 },
      // No implicit HEAD routes: a HEAD /events would open a subscription that sends nothing.
      exposeHeadRoutes: false,
      serverFactory: (handler) => {
        dual = new DualServer(handler, tls ? { options: tls.options, requestCert: options.tls!.clientCa !== undefined } : undefined);
        return dual.http1;
      },
    });
    this.dual = dual!;
    if (options.tls && tls) {
      this.stopWatchingTls = watchTlsFiles(options.tls, tls.stamp, (o) => this.dual.setSecureContext(o), (o) => options.onTlsReload?.(o));
    }
    this.setUp(services);
  }

  /** host:port once listening. */
  get address(): string {
    return `${this.options.host}:${this.port}`;
  }

  /** Streams and long polls open now. */
  get openCalls(): number {
    return this.calls.size;
  }

  async listen(): Promise<number> {
    await this.app.ready();
    this.port = await this.dual.listen(this.options.host, this.options.port);
    return this.port;
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.stopWatchingTls();
    const closed = this.dual.stopAccepting();
    // Requests drain by themselves; streams and long polls are open-ended, so end them now.
    const reason = new CallError("unavailable", "server is shutting down");
    this.calls.abortAll(reason);
    this.shutdown.abort(reason);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), this.options.shutdownGraceMs)));
    await Promise.race([closed, deadline]);
    clearTimeout(timer);
    this.dual.destroyAll();
    await this.app.close();
  }

  private setUp(services: Services): void {
    const app = this.app;
    const { options } = this;
    // Bodies are read as bytes and parsed by the route that knows what they should be.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    if (options.tracer) traceRequests(app, options.tracer);

    if (options.corsOrigins.length > 0) {
      void app.register(fastifyCors, {
        origin: options.corsOrigins.includes("*") ? "*" : [...options.corsOrigins],
        methods: [...new Set(["GET", "POST", ...connectCors.allowedMethods])],
        exposedHeaders: [...connectCors.exposedHeaders],
        maxAge: 7200,
      });
    }

    const authenticate = options.authenticate ?? (() => trustedCaller());
    app.addHook("onRequest", async (request) => {
      // A CORS preflight carries no credentials by design, and runs nothing.
      if (request.method === "OPTIONS") return;
      setCaller(request, await authenticate(incomingCall(request)));
    });
    if (options.logRequest) {
      const log = options.logRequest;
      app.addHook("onResponse", async (request, reply) =>
        log({ method: request.method, url: request.url, route: routeOf(request), status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 1000) / 1000, peer: incomingCall(request).peer }),
      );
    }

    app.setErrorHandler((err: FastifyError, request, reply) => {
      const problem = problemOfFastify(err, options.maxBodyBytes) ?? problemOf(err);
      if (problem.status === 500) options.onInternalError?.(`${request.method} ${request.routeOptions.url ?? request.url}`, err);
      return reply.code(problem.status).type(problemContentType).send(problem);
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).type(problemContentType).send(httpProblem("no-route", 404, "Not Found", `no route for ${request.method} ${request.url.split("?")[0]}`)),
    );

    publishRoutes(app, services, this.calls);
    subscribeRoutes(app, services, this.calls, { heartbeatMs: options.heartbeatMs ?? 15_000, retryMs: 1000 });
    catalogRoutes(app, services, this.calls);
    void connectRoutes(app, services, {
      readMaxBytes: options.maxBodyBytes,
      shutdownSignal: this.shutdown.signal,
      onInternalError: (m, e) => options.onInternalError?.(m, e),
    });
  }
}

/** Fastify's own refusals (body too large, bad content length, …) as problems. */
function problemOfFastify(err: FastifyError, maxBodyBytes: number): Problem | undefined {
  if (!err.code?.startsWith("FST_") || !err.statusCode || err.statusCode >= 500) return undefined;
  if (err.statusCode === 413) return httpProblem("payload-too-large", 413, "Content Too Large", `the request body is larger than the limit of ${maxBodyBytes} bytes`);
  if (err.statusCode === 415) return httpProblem("unsupported-media-type", 415, "Unsupported Media Type", err.message);
  return httpProblem("bad-request", err.statusCode, "Bad Request", err.message);
}
