import { mkdirSync } from "node:fs";
import { EmbeddedChannel, KafkaChannel, type EventChannel } from "@meshstream/channel";
import { GrpcServerHost } from "@meshstream/grpc";
import { Global, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";

export const EVENT_CHANNEL = Symbol("EVENT_CHANNEL");

async function openChannel(config: PlatformConfig): Promise<EventChannel> {
  const logger = new Logger("channel");
  if (config.channel === "kafka") {
    // Fails the start with the reason when no broker answers: better than serving with nowhere to store events.
    const channel = await KafkaChannel.connect({ brokers: config.kafka.brokers, topicPrefix: config.kafka.topicPrefix });
    logger.log({ msg: "channel open", kind: "kafka", brokers: config.kafka.brokers });
    return channel;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const channel = EmbeddedChannel.open(config.dataDir);
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
  providers: [{ provide: EVENT_CHANNEL, inject: [PLATFORM_CONFIG], useFactory: openChannel }, ChannelCloser, ChannelReadiness],
  exports: [EVENT_CHANNEL],
})
export class ChannelModule {}
