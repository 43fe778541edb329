import { Catalog } from "@meshstream/catalog";
import type { EventChannel } from "@meshstream/channel";
import { GrpcServerHost } from "@meshstream/grpc";
import { Global, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";
import { IngestInstruments } from "./ingest-instruments";
import { PlatformMetrics } from "./metrics";
import { MetricsServer } from "./metrics-server";
import { PLATFORM_METRICS } from "./tokens";

/** Serves /metrics once the platform is up (so a start that fails binds nothing), until it stops. */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger("metrics");
  private server?: MetricsServer;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(PLATFORM_METRICS) private readonly metrics: PlatformMetrics | null,
    private readonly grpc: GrpcServerHost,
  ) {}

  /** host:port, or undefined when metrics are off. */
  get address(): string | undefined {
    return this.server?.address;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.metrics || !this.config.metricsListen) return;
    this.metrics.watchStreams(() => this.grpc.server.openStreams);
    this.server = await MetricsServer.listen(this.metrics.registry, this.config.metricsListen.host, this.config.metricsListen.port);
    this.logger.log({ msg: "metrics listening", address: this.server.address, path: "/metrics" });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

/** Metrics (prom-client) and the ingest hooks; tracing's SDK is set up before the application (main.ts). */
@Global()
@Module({
  providers: [
    {
      provide: PLATFORM_METRICS,
      inject: [PLATFORM_CONFIG, Catalog, EVENT_CHANNEL],
      useFactory: (c: PlatformConfig, catalog: Catalog, channel: EventChannel) => (c.metricsListen ? new PlatformMetrics({ catalog, channel }, c.channel) : null),
    },
    IngestInstruments,
    MetricsListener,
  ],
  exports: [PLATFORM_METRICS, IngestInstruments],
})
export class ObservabilityModule {}
