import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { trustedCaller, type Caller, type CallSite, type Credentials } from "@meshstream/access";
import { deserializer, serializer } from "./codec";
import { writeWindowInterceptor } from "./write-window";
import { callInterceptor, type CallLogEntry } from "./call-log";
import type { CallTracer } from "./call-scope";
import { Health, HealthService, ServingStatus } from "./health";
import { ActiveCalls, toGrpcHandler, type AnyImpl, type CallAuthenticator, type InternalErrorSink, type ServerCall } from "./handlers";
import { noDelay } from "./no-delay";
import { addReflection } from "./reflection";
import type { ServiceImpl } from "./service-impl";
import { CallError } from "./status";
import { ReloadingServerCredentials, type TlsFiles } from "./tls";

export interface GrpcServerOptions {
  /** Host to bind, e.g. "127.0.0.1". */
  readonly host: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
  /** Largest request accepted; larger ones get RESOURCE_EXHAUSTED. */
  readonly maxMessageBytes: number;
  /** How long shutdown waits for calls in flight before cutting them. */
  readonly shutdownGraceMs: number;
  /** FileDescriptorSet served by reflection. */
  readonly descriptorSetPath: string;
  readonly logCall?: (entry: CallLogEntry) => void;
  readonly onInternalError?: InternalErrorSink;
  /** TLS (and mTLS with a client CA) from PEM files, re-read when they change; plaintext when absent. */
  readonly tls?: TlsFiles;
  readonly onTlsReload?: (outcome: { ok: true } | { ok: false; error: string }) => void;
  /**
   * Who is calling, once per call, from its authorization metadata and
   * verified client certificate (libs/access). Every caller is trusted when absent.
   */
  readonly authenticate?: (credentials: Credentials, site: CallSite) => Caller | Promise<Caller>;
  /** A span per call, in which its handler runs (the application's OpenTelemetry adapter). */
  readonly tracer?: CallTracer;
  /** Told of every call as it ends, with what the log line says (metrics, say). */
  readonly onCallEnd?: (entry: CallLogEntry) => void;
}

/** Readiness: SERVING only while the platform accepts calls (also per service, by its full name). */
export const READINESS = "";
/** Liveness: SERVING from listen until the process ends, drain included; an orchestrator restarts what stops answering it. */
export const LIVENESS = "liveness";

/**
 * A grpc-js server that speaks protobuf-es, with health and reflection always
 * on. Lifecycle: register services, listen (health NOT_SERVING), markServing,
 * shutdown (NOT_SERVING, stop accepting, drain, then cut).
 */
export class GrpcServer {
  private readonly server: grpc.Server;
  private readonly health = new HealthService();
  private readonly streams = new ActiveCalls();
  private port = 0;
  private stopping?: Promise<void>;
  private readonly credentials: grpc.ServerCredentials;
  private readonly authenticateCall: CallAuthenticator;
  private started = false;
  /** Dependencies that cannot serve now (e.g. the event channel's broker). */
  private readonly down = new Set<string>();

  constructor(private readonly options: GrpcServerOptions) {
    // Throws at once, naming the file, when the TLS files cannot be used.
    this.credentials = options.tls ? new ReloadingServerCredentials(options.tls, (o) => options.onTlsReload?.(o)) : grpc.ServerCredentials.createInsecure();
    const authenticate = options.authenticate ?? (() => trustedCaller());
    this.authenticateCall = (call: ServerCall, method: string) =>
      authenticate(
        {
          authorization: call.metadata.get("authorization").map(String),
          // grpc-js gives the certificate only when it verified against the client CA.
          clientCertificate: call.getAuthContext().sslPeerCertificate,
        },
        { method, peer: call.getPeer() },
      );
    const keepalive = {
      // Nest's own gRPC transport drops these; set them here so dead peers are noticed.
      "grpc.keepalive_time_ms": 30_000,
      "grpc.keepalive_timeout_ms": 10_000,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.http2.min_ping_interval_without_data_ms": 10_000,
    };
    this.server = new grpc.Server({
      ...keepalive,
      "grpc.max_receive_message_length": options.maxMessageBytes,
      // grpc-js wraps its own call in the first interceptor first: the write window sits next to it.
      interceptors: [writeWindowInterceptor(), callInterceptor(options.tracer, callEnded(options.logCall, options.onCallEnd))],
    });
    this.health.set(READINESS, ServingStatus.NOT_SERVING);
    // Open to anyone, as reflection is (it is not registered through here): probes carry no token.
    this.register(Health, this.health, { open: true });
    addReflection(this.server, options.descriptorSetPath);
  }

  /** host:port once listening. */
  get address(): string {
    return `${this.options.host}:${this.port}`;
  }

  /** Streaming calls in flight. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** `open`: the service's calls are not authenticated (health). */
  register<S extends GenServiceMethods>(service: GenService<S>, impl: ServiceImpl<GenService<S>>, options: { open?: boolean } = {}): void {
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const desc of service.methods) {
      const method = `${service.typeName}/${desc.name}`;
      const fn = (impl as Record<string, AnyImpl | undefined>)[desc.localName];
      definition[desc.name] = {
        path: `/${method}`,
        requestStream: desc.methodKind === "client_streaming" || desc.methodKind === "bidi_streaming",
        responseStream: desc.methodKind === "server_streaming" || desc.methodKind === "bidi_streaming",
        requestDeserialize: deserializer(desc.input),
        requestSerialize: serializer(desc.input),
        responseDeserialize: deserializer(desc.output),
        responseSerialize: serializer(desc.output),
      };
      handlers[desc.name] = toGrpcHandler(
        desc,
        method,
        fn?.bind(impl),
        this.streams,
        (m, err) => this.options.onInternalError?.(m, err),
        options.open ? undefined : this.authenticateCall,
      );
    }
    this.server.addService(definition as grpc.ServiceDefinition, handlers);
    this.health.set(service.typeName, ServingStatus.NOT_SERVING);
  }

  /** Binds and starts accepting calls; health says NOT_SERVING until markServing(). */
  async listen(): Promise<number> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${this.options.host}:${this.options.port}`, this.credentials, (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    noDelay(this.server);
    this.health.set(LIVENESS, ServingStatus.SERVING);
    return this.port;
  }

  markServing(): void {
    this.started = true;
    this.refreshHealth();
  }

  /**
   * A dependency every service needs (the event channel) is up or down:
   * health says NOT_SERVING while one is down, SERVING again once all are up.
   */
  setDependency(name: string, up: boolean): void {
    if (up) this.down.delete(name);
    else this.down.add(name);
    this.refreshHealth();
  }

  /** Idempotent: a second signal waits for the first shutdown. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.setAll(ServingStatus.NOT_SERVING);
    // A moment for health watchers to hear NOT_SERVING before their streams are ended below.
    await new Promise((r) => setTimeout(r, 50));
    const drained = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    // Unary calls drain by themselves; streams are open-ended, so end them now.
    this.streams.abortAll(new CallError("unavailable", "server is shutting down"));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.options.shutdownGraceMs);
    });
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (outcome === "timeout") this.server.forceShutdown();
    if (this.credentials instanceof ReloadingServerCredentials) this.credentials.close();
  }

  private refreshHealth(): void {
    this.setAll(this.started && !this.stopping && this.down.size === 0 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** Every readiness name: liveness stays SERVING through the drain. */
  private setAll(status: ServingStatus): void {
    for (const name of this.health.services) if (name !== LIVENESS) this.health.set(name, status);
  }
}

/** The one callback the call interceptor gets for the log line and the other listeners, or none when nobody listens. */
function callEnded(...listeners: (((entry: CallLogEntry) => void) | undefined)[]): ((entry: CallLogEntry) => void) | undefined {
  const present = listeners.filter((l) => l !== undefined);
  if (present.length === 0) return undefined;
  return (entry) => {
    for (const listener of present) listener(entry);
  };
}
