import { mkdirSync } from "node:fs";
import type { EventChannel } from "@meshstream/channel";
import { FilterCompiler } from "@meshstream/filters";
import { DurableSubscriptions, EmbeddedSubscriptionStore, KafkaSubscriptionStore, type SubscriptionStore } from "@meshstream/subscriptions";
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit, type Provider } from "@nestjs/common";
import { EVENT_CHANNEL, KAFKA_CONNECTION } from "../channel/channel.module";
import type { KafkaConnection } from "../channel/kafka-connection";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";
import type { PlatformMetrics } from "../observability/metrics";
import { PLATFORM_METRICS } from "../observability/tokens";

export const SUBSCRIPTION_STORE = Symbol("SUBSCRIPTION_STORE");

const logger = new Logger("subscriptions");

/** On Kafka, in a compacted topic shared by every instance on the cluster (same TLS, SASL and replication as the channel's); else beside the embedded channel. */
async function openStore(c: PlatformConfig, k: KafkaConnection | null): Promise<SubscriptionStore> {
  if (k) {
    return KafkaSubscriptionStore.open({
      brokers: k.brokers,
      topicPrefix: k.topicPrefix,
      client: { ssl: k.ssl, sasl: k.sasl },
      replicationFactor: k.replicationFactor,
      minInsyncReplicas: k.minInsyncReplicas,
    });
  }
  mkdirSync(c.dataDir, { recursive: true });
  return EmbeddedSubscriptionStore.open(c.dataDir);
}

function durableSubscriptions(store: SubscriptionStore, channel: EventChannel, filters: FilterCompiler): DurableSubscriptions {
  return new DurableSubscriptions(
    store,
    channel,
    async (d) => {
      // Compiled again at each start (the catalog may have changed); the products stay those of the creation.
      const compiled = await filters.compile(d.filter, { at: "subscription.filter" });
      const matcher = compiled.hasPredicate ? compiled.matcher() : undefined;
      return { products: d.products, types: compiled.types, typePrefixes: compiled.typePrefixes, sources: compiled.sources, ...(matcher ? { predicate: (e) => matcher.matches(e) } : {}) };
    },
    { onError: (err) => logger.warn({ msg: "durable subscription", error: String(err) }) },
  );
}

/**
 * Shows the subscriptions' activity in the metrics; stops the running
 * subscriptions (their consumers end, their state is stored) while the gRPC
 * server drains, then closes the store.
 */
@Injectable()
class DurableLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly durable: DurableSubscriptions,
    @Inject(SUBSCRIPTION_STORE) private readonly store: SubscriptionStore,
    @Inject(PLATFORM_METRICS) private readonly metrics: PlatformMetrics | null,
  ) {}

  onModuleInit(): void {
    this.metrics?.watchSubscriptions(() => this.durable.stats());
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.durable.close();
  }

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }
}

export const durableProviders: Provider[] = [
  { provide: SUBSCRIPTION_STORE, inject: [PLATFORM_CONFIG, KAFKA_CONNECTION], useFactory: openStore },
  { provide: DurableSubscriptions, inject: [SUBSCRIPTION_STORE, EVENT_CHANNEL, FilterCompiler], useFactory: durableSubscriptions },
  DurableLifecycle,
];
