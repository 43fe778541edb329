import { EmbeddedChannel } from "@meshstream/channel";
import { tempDir } from "../../../test/harness/temp";
import { durableSubscriptionsContract } from "./durable-subscriptions.contract";
import { EmbeddedSubscriptionStore } from "./embedded-subscription-store";

describe("durable subscriptions on the embedded store", () => {
  durableSubscriptionsContract(async () => {
    const dir = tempDir("durable");
    const stores: EmbeddedSubscriptionStore[] = [];
    const open = () => {
      const store = EmbeddedSubscriptionStore.open(dir);
      stores.push(store);
      return store;
    };
    return { channel: EmbeddedChannel.open(dir), store: open(), reopen: async () => open() };
  });
});
