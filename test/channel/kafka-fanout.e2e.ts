import { setMaxListeners } from "node:events";
import { randomUUID } from "node:crypto";
import { KafkaChannel, type Delivery } from "@meshstream/channel";
import { toolPath } from "../harness/tool-paths";

describe("Kafka channel fan-out", () => {
  it("serves 100 subscribers of one type from one consumer for the topic, each getting every event in order", async () => {
    const topicPrefix = `fanout-${Date.now()}.`;
    const channel = await KafkaChannel.connect({ brokers: toolPath("KAFKA_BROKERS").split(","), topicPrefix });
    const product = "people";
    const total = 300;
    try {
      const controller = new AbortController();
      // One signal shared by the 100 subscriptions of this test, each listening to it.
      setMaxListeners(200, controller.signal);
      const subscribers = Array.from({ length: 100 }, async () => {
        const got: number[] = [];
        for await (const d of channel.subscribe({ products: [product], types: ["MySource:newPerson"] }, { kind: "latest" }, { signal: controller.signal })) {
          got.push(n(d));
          if (got.length === total) break;
        }
        return got;
      });
      await new Promise((r) => setTimeout(r, 2000));
      expect(channel.stats().subscriptions).toBe(100);
      expect(channel.stats().consumers).toBe(1);
      expect(channel.tailTopics).toEqual([`${topicPrefix}people`]);

      for (let i = 0; i < total; i += 50) {
        await channel.publish(
          Array.from({ length: 50 }, (_, j) => ({
            product,
            event: { specversion: "1.0" as const, id: randomUUID(), source: "/people", type: "MySource:newPerson", extensions: {}, data: Buffer.from(JSON.stringify({ n: i + j })) },
          })),
        );
      }
      const expected = Array.from({ length: total }, (_, i) => i);
      for (const got of await Promise.all(subscribers)) expect(got).toEqual(expected);
      expect(channel.stats().consumers).toBe(1);
    } finally {
      await channel.close();
    }
  }, 120_000);
});

const n = (d: Delivery) => (JSON.parse(Buffer.from(d.event.data!).toString()) as { n: number }).n;
