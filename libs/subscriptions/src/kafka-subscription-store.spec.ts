import { randomUUID } from "node:crypto";
import { KafkaChannel } from "@meshstream/channel";
import { toolPath } from "../../../test/harness/tool-paths";
import { durableSubscriptionsContract } from "./durable-subscriptions.contract";
import { KafkaSubscriptionStore } from "./kafka-subscription-store";

// Against the real broker the test harness started (test/harness/kafka.ts); two partitions per product, so that two instances can share one.
describe("durable subscriptions on the Kafka store", () => {
  durableSubscriptionsContract(
    async () => {
      const brokers = toolPath("KAFKA_BROKERS").split(",");
      const topicPrefix = `durable-${randomUUID().slice(0, 8)}.`;
      const stores: KafkaSubscriptionStore[] = [];
      const open = async () => {
        const store = await KafkaSubscriptionStore.open({ brokers, topicPrefix });
        stores.push(store);
        return store;
      };
      const channel = await KafkaChannel.connect({ brokers, topicPrefix, partitions: 2 });
      const store = await open();
      return { channel, store, reopen: open, close: async () => void (await Promise.allSettled(stores.slice(1).map((s) => s.close()))) };
    },
    { shared: true },
  );
});
