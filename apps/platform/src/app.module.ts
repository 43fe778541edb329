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
import { SubscribeModule } from "./subscribe/subscribe.module";

@Module({})
export class AppModule {
  static forConfig(config: PlatformConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        GrpcModule.forRootAsync({
          inject: [PLATFORM_CONFIG, Authenticator],
          useFactory: (c: PlatformConfig, authenticator: Authenticator) => ({
            host: c.listen.host,
            port: c.listen.port,
            maxMessageBytes: c.maxMessageBytes,
            shutdownGraceMs: c.shutdownGraceMs,
            descriptorSetPath,
            tls: c.tls,
            authenticate: (credentials, site) => authenticator.authenticate(credentials, site),
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
