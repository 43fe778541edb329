import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { deserializer, serializer } from "./codec";
import { callLogInterceptor, type CallLogEntry } from "./call-log";
import { Health, HealthService, ServingStatus } from "./health";
import { ActiveCalls, toGrpcHandler, type AnyImpl, type InternalErrorSink } from "./handlers";
import { noDelay } from "./no-delay";
import { addReflection } from "./reflection";
import type { ServiceImpl } from "./service-impl";
import { CallError } from "./status";

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
}

const overall = "";

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
  private started = false;
  /** Dependencies that cannot serve now (e.g. the event channel's broker). */
  private readonly down = new Set<string>();

  constructor(private readonly options: GrpcServerOptions) {
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
      interceptors: options.logCall ? [callLogInterceptor(options.logCall)] : [],
    });
    this.health.set(overall, ServingStatus.NOT_SERVING);
    this.register(Health, this.health);
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

  register<S extends GenServiceMethods>(service: GenService<S>, impl: ServiceImpl<GenService<S>>): void {
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
      handlers[desc.name] = toGrpcHandler(desc, method, fn?.bind(impl), this.streams, (m, err) =>
        this.options.onInternalError?.(m, err),
      );
    }
    this.server.addService(definition as grpc.ServiceDefinition, handlers);
    this.health.set(service.typeName, ServingStatus.NOT_SERVING);
  }

  /** Binds and starts accepting calls; health says NOT_SERVING until markServing(). */
  async listen(): Promise<number> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${this.options.host}:${this.options.port}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    noDelay(this.server);
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
  }

  private refreshHealth(): void {
    this.setAll(this.started && !this.stopping && this.down.size === 0 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  private setAll(status: ServingStatus): void {
    for (const name of this.health.services) this.health.set(name, status);
  }
}
