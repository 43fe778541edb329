import { Catalog, EmbeddedCatalogStore, KafkaCatalogStore, loadDeclarations, type CatalogStore } from "@meshstream/catalog";
import { CueEngine } from "@meshstream/cuelang-wasm";
import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from "@nestjs/common";
import type { PlatformConfig } from "../config/config";
import { KAFKA_CONNECTION } from "../channel/channel.module";
import type { KafkaConnection } from "../channel/kafka-connection";
import { PLATFORM_CONFIG } from "../config/config.module";
import { CatalogController } from "./catalog.controller";
import { CATALOG_STORE, CUE_ENGINE } from "./tokens";

/** Loads schemas/ before the platform says SERVING, and closes what the catalog holds at the end. */
@Injectable()
class CatalogLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger("catalog");
  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly catalog: Catalog,
    @Inject(CUE_ENGINE) private readonly engine: CueEngine,
    @Inject(CATALOG_STORE) private readonly store: CatalogStore,
  ) {}

  async onModuleInit(): Promise<void> {
    const loaded = await loadDeclarations(this.config.schemasDir, this.catalog, this.engine);
    this.logger.log({ msg: "declarations loaded", dir: this.config.schemasDir, ...loaded });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.engine.close();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: CUE_ENGINE,
      inject: [PLATFORM_CONFIG],
      useFactory: ({ validation: v }: PlatformConfig) =>
        CueEngine.start({ workers: v.workers, evaluationTimeoutMs: v.timeoutMs, memoryLimitBytes: v.memoryLimitBytes, maxQueuedBytesPerGroup: v.maxQueuedBytesPerProduct }),
    },
    // On Kafka the catalog lives in a compacted topic, shared by every instance on that cluster.
    {
      provide: CATALOG_STORE,
      inject: [PLATFORM_CONFIG, KAFKA_CONNECTION],
      useFactory: (c: PlatformConfig, k: KafkaConnection | null): CatalogStore | Promise<CatalogStore> =>
        k
          ? KafkaCatalogStore.open({
              brokers: k.brokers,
              ssl: k.ssl,
              sasl: k.sasl,
              replicationFactor: k.replicationFactor,
              minInsyncReplicas: k.minInsyncReplicas,
              topic: `${k.topicPrefix}__catalog`,
            })
          : EmbeddedCatalogStore.open(c.dataDir),
    },
    {
      provide: Catalog,
      inject: [CATALOG_STORE, CUE_ENGINE, PLATFORM_CONFIG],
      useFactory: (store: CatalogStore, engine: CueEngine, c: PlatformConfig) => new Catalog(store, engine, { maxSourceBytes: c.maxSchemaBytes }),
    },
    CatalogLifecycle,
    CatalogController,
  ],
  exports: [Catalog, CUE_ENGINE],
})
export class CatalogModule {}
