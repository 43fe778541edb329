import { Authenticator } from "@meshstream/access";
import { GrpcService } from "@meshstream/grpc";
import { HttpServer, type Services } from "@meshstream/http";
import { CatalogService, IngestService, SubscribeService, SubscriptionService } from "@meshstream/proto";
import { Inject, Injectable, Logger, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from "@nestjs/common";
import { DiscoveryModule, DiscoveryService } from "@nestjs/core";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";
import type { PlatformMetrics } from "../observability/metrics";
import { PLATFORM_METRICS } from "../observability/tokens";
import { HttpRequestTracer } from "../observability/tracing";

/**
 * Serves the HTTP face over the same service objects as gRPC (the providers
 * marked @GrpcService), once the application has started: by then the
 * declared schemas are loaded, so the first request finds them.
 */
@Injectable()
export class HttpServerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger("http");
  server?: HttpServer;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly authenticator: Authenticator,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(PLATFORM_METRICS) private readonly metrics: PlatformMetrics | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { listen, corsOrigins, heartbeatMs } = this.config.http;
    if (!listen) return;
    const byName = new Map(
      this.discovery.getProviders({ metadataKey: GrpcService.KEY }).map((w) => [this.discovery.getMetadataByDecorator(GrpcService, w)!.typeName, w.instance as object]),
    );
    const services = {
      ingest: byName.get(IngestService.typeName) ?? {},
      catalog: byName.get(CatalogService.typeName) ?? {},
      subscribe: byName.get(SubscribeService.typeName) ?? {},
      subscriptions: byName.get(SubscriptionService.typeName) ?? {},
    } as Services;
    this.server = new HttpServer(services, {
      ...listen,
      maxBodyBytes: this.config.maxMessageBytes,
      corsOrigins,
      heartbeatMs,
      shutdownGraceMs: this.config.shutdownGraceMs,
      // The same TLS files and the same authentication as gRPC: one identity, whichever door.
      tls: this.config.tls,
      onTlsReload: (o) => (o.ok ? this.logger.log({ msg: "TLS files changed: new connections get the new certificate" }) : this.logger.error({ msg: "TLS files changed but cannot be used; keeping the previous ones", error: o.error })),
      authenticate: (call) =>
        this.authenticator.authenticate(
          { authorization: call.headers.get("authorization"), clientCertificate: call.clientCertificate },
          { method: `${call.method} ${call.url.split("?")[0]}`, peer: call.peer },
        ),
      tracer: new HttpRequestTracer(),
      logRequest: (entry) => {
        this.metrics?.httpAnswered(entry);
        // As for gRPC calls: at thousands of requests a second a line each would cost more than the requests.
        if (entry.status < 400) this.logger.debug({ msg: "request", ...entry });
        else this.logger.log({ msg: "request", ...entry });
      },
      onInternalError: (method, err) => this.logger.error({ msg: "internal error", method, error: String(err), stack: (err as Error)?.stack }),
    });
    await this.server.listen();
    this.logger.log({ msg: "http listening", address: this.server.address });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    await this.server.close();
    this.logger.log({ msg: "http stopped" });
  }
}

@Module({ imports: [DiscoveryModule], providers: [HttpServerHost] })
export class HttpModule {}
