import { Authenticator } from "@meshstream/access";
import { GrpcModule } from "@meshstream/grpc";
import { descriptorSetPath } from "@meshstream/proto";
import { Module, type DynamicModule } from "@nestjs/common";
import { AccessModule } from "./access/access.module";
import { CatalogModule } from "./catalog/catalog.module";
import { ChannelModule } from "./channel/channel.module";
import type { PlatformConfig } from "./config/config";
import { ConfigModule, PLATFORM_CONFIG } from "./config/config.module";
import { HttpModule } from "./http/http.module";
import { IngestModule } from "./ingest/ingest.module";
import type { PlatformMetrics } from "./observability/metrics";
import { ObservabilityModule } from "./observability/observability.module";
import { PLATFORM_METRICS } from "./observability/tokens";
import { GrpcCallTracer } from "./observability/tracing";
import { SubscribeModule } from "./subscribe/subscribe.module";

@Module({})
export class AppModule {
  static forConfig(config: PlatformConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        GrpcModule.forRootAsync({
          inject: [PLATFORM_CONFIG, Authenticator, PLATFORM_METRICS],
          useFactory: (c: PlatformConfig, authenticator: Authenticator, metrics: PlatformMetrics | null) => ({
            host: c.listen.host,
            port: c.listen.port,
            maxMessageBytes: c.maxMessageBytes,
            shutdownGraceMs: c.shutdownGraceMs,
            descriptorSetPath,
            tls: c.tls,
            authenticate: (credentials, site) => authenticator.authenticate(credentials, site),
            tracer: new GrpcCallTracer(),
            onCallEnd: metrics ? (call) => metrics.grpcCallEnded(call) : undefined,
          }),
        }),
        AccessModule,
        ChannelModule,
        IngestModule,
        CatalogModule,
        SubscribeModule,
        HttpModule,
      ],
    };
  }
}
