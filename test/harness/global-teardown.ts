import type { KafkaBroker } from "./kafka";

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { meshstreamKafka?: KafkaBroker }).meshstreamKafka?.destroy();
}
