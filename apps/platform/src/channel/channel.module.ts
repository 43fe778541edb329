import { mkdirSync } from "node:fs";
import { EmbeddedChannel, KafkaChannel, type EventChannel } from "@meshstream/channel";
import { GrpcServerHost } from "@meshstream/grpc";
import { Global, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";
import { kafkaConnection, type KafkaConnection } from "./kafka-connection";

export const EVENT_CHANNEL = Symbol("EVENT_CHANNEL");
/** The KafkaConnection every Kafka client of the platform uses; null on the embedded channel. */
export const KAFKA_CONNECTION = Symbol("KAFKA_CONNECTION");

async function openChannel(config: PlatformConfig, kafka: KafkaConnection | null): Promise<EventChannel> {
  const logger = new Logger("channel");
  if (kafka) {
    // Fails the start with the reason when no broker answers: better than serving with nowhere to store events.
    const { brokers, ssl, sasl, topicPrefix, partitions, replicationFactor, minInsyncReplicas } = kafka;
    const { lingerMs, maxInFlight } = config.kafka;
    const channel = await KafkaChannel.connect({ brokers, ssl, sasl, topicPrefix, partitions, replicationFactor, minInsyncReplicas, lingerMs, maxInFlight, idempotency: config.idempotency });
    logger.log({ msg: "channel open", kind: "kafka", brokers, tls: !!ssl, sasl: sasl?.mechanism ?? "none", partitions, replicationFactor, minInsyncReplicas, lingerMs, maxInFlight });
    return channel;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const channel = EmbeddedChannel.open(config.dataDir, { idempotency: config.idempotency });
  logger.log({ msg: "channel open", kind: "embedded", dataDir: config.dataDir });
  return channel;
}

/** Closes the channel after the gRPC server has drained (Nest runs shutdown hooks after beforeApplicationShutdown). */
@Injectable()
class ChannelCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_CHANNEL) private readonly channel: EventChannel) {}
  onApplicationShutdown(): Promise<void> {
    return this.channel.close();
  }
}

/** Readiness follows the channel: health says NOT_SERVING while it cannot reach its broker. */
@Injectable()
class ChannelReadiness implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger("channel");
  private unwatch?: () => void;
  constructor(
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
    private readonly grpc: GrpcServerHost,
  ) {}

  onApplicationBootstrap(): void {
    let last: boolean | undefined;
    this.unwatch = this.channel.watchAvailability((available) => {
      if (last !== undefined) this.logger.log({ msg: available ? "channel available" : "channel unavailable" });
      last = available;
      this.grpc.server.setDependency("channel", available);
    });
  }

  onApplicationShutdown(): void {
    this.unwatch?.();
  }
}

/** The event channel the configuration names: embedded (default) or Kafka. */
@Global()
@Module({
  providers: [
    { provide: KAFKA_CONNECTION, inject: [PLATFORM_CONFIG], useFactory: (c: PlatformConfig) => (c.channel === "kafka" ? kafkaConnection(c.kafka) : null) },
    { provide: EVENT_CHANNEL, inject: [PLATFORM_CONFIG, KAFKA_CONNECTION], useFactory: openChannel },
    ChannelCloser,
    ChannelReadiness,
  ],
  exports: [EVENT_CHANNEL, KAFKA_CONNECTION],
})
export class ChannelModule {}
