import { randomUUID } from "node:crypto";
import { startKafka, type KafkaBroker } from "../../../../test/harness/kafka";
import { toolPath } from "../../../../test/harness/tool-paths";
import { channelContract } from "../channel.contract";
import type { Delivery } from "../event-channel";
import { KafkaChannel } from "./kafka-channel";

// Against the real broker the test harness started (test/harness/kafka.ts).
const brokers = () => toolPath("KAFKA_BROKERS").split(",");
const n = (d: Delivery) => (JSON.parse(Buffer.from(d.event.data!).toString()) as { n: number }).n;

describe("KafkaChannel", () => {
  // The outage test kills a broker: one of its own, started when that test runs, not the run's shared one.
  let own: Promise<KafkaBroker> | undefined;
  const ownBroker = () => (own ??= startKafka());
  afterAll(async () => (await own)?.destroy());
  // A ring smaller than the contract's burst of 5,000 events, so that its bounded-buffer test reaches the replay path.
  channelContract(() => KafkaChannel.connect({ brokers: brokers(), topicPrefix: `contract-${Date.now()}.`, ringCapacity: 1024 }), {
    settleMs: 1500,
    outage: {
      open: async () => KafkaChannel.connect({ brokers: (await ownBroker()).brokers, publishTimeoutMs: 3000 }),
      kill: async () => (await ownBroker()).kill(),
      restart: async () => (await ownBroker()).restart(),
    },
  });
});

describe("KafkaChannel over several partitions", () => {
  let channel: KafkaChannel;
  beforeAll(async () => {
    channel = await KafkaChannel.connect({ brokers: brokers(), topicPrefix: `multi-${Date.now()}.`, partitions: 3 });
  });
  afterAll(() => channel.close());

  const event = (n: number, key: string) => ({
    specversion: "1.0" as const,
    id: randomUUID(),
    source: "/multi",
    type: "multi.test",
    extensions: { partitionkey: key },
    data: Buffer.from(JSON.stringify({ n })),
  });

  it("keeps order per key, and a position resumes every partition with no gap and no duplicate", async () => {
    const product = `p${randomUUID().slice(0, 6)}`;
    const keys = ["alpha", "beta", "gamma", "delta", "epsilon"];
    await channel.publish(Array.from({ length: 100 }, (_, i) => ({ product, event: event(i, keys[i % keys.length]!) })));
    const first = await channel.fetch({ products: [product] }, undefined, 37, 0);
    const seen = [...first.deliveries];
    let cursor = first.cursor;
    while (seen.length < 100) {
      const page = await channel.fetch({ products: [product] }, cursor, 50, 2000);
      if (page.deliveries.length === 0) break;
      seen.push(...page.deliveries);
      cursor = page.cursor;
    }
    expect(seen.map(n).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const key of keys) {
      const ns = seen.filter((d) => d.event.extensions.partitionkey === key).map(n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });
});

describe("KafkaChannel with large events", () => {
  let channel: KafkaChannel;
  beforeAll(async () => {
    channel = await KafkaChannel.connect({ brokers: brokers(), topicPrefix: `large-${Date.now()}.` });
  });
  afterAll(() => channel.close());

  const event = (bytes: number) => ({ specversion: "1.0" as const, id: randomUUID(), source: "/large", type: "large.test", extensions: {}, data: Buffer.alloc(bytes, "x") });

  it("keeps what it coalesces under Kafka's record-batch limit: one publish of 2,000 events of 5 KiB (10 MB) is stored whole", async () => {
    const product = `p${randomUUID().slice(0, 6)}`;
    const positions = await channel.publish(Array.from({ length: 2000 }, () => ({ product, event: event(5120) })));
    expect(new Set(positions).size).toBe(2000);
    const page = await channel.fetch({ products: [product] }, positions[1998], 10, 5000);
    expect(page.deliveries.map((d) => d.event.data!.length)).toEqual([5120]);
  });

  it("stores one event of 1 MiB of data, the platform's default limit", async () => {
    const product = `p${randomUUID().slice(0, 6)}`;
    const [position] = await channel.publish([{ product, event: event(1024 * 1024) }]);
    expect(position).toBeDefined();
  });
});

describe("KafkaChannel with readers falling off a small ring", () => {
  let channel: KafkaChannel;
  beforeAll(async () => {
    channel = await KafkaChannel.connect({ brokers: brokers(), topicPrefix: `ring-${Date.now()}.`, ringCapacity: 100, replayBuffer: 50 });
  });
  afterAll(() => channel.close());

  it("hands readers between the ring and replay consumers with no gap and no duplicate", async () => {
    const product = `p${randomUUID().slice(0, 6)}`;
    const controller = new AbortController();
    const subscriptions = Array.from({ length: 3 }, () => channel.subscribe({ products: [product] }, { kind: "latest" }, { signal: controller.signal })[Symbol.asyncIterator]());
    const first = subscriptions.map((s) => s.next());
    await new Promise((r) => setTimeout(r, 1500));
    const total = 3000;
    for (let i = 0; i < total; i += 500) {
      await channel.publish(Array.from({ length: 500 }, (_, j) => ({ product, event: { specversion: "1.0" as const, id: randomUUID(), source: "/ring", type: "ring.test", extensions: {}, data: Buffer.from(JSON.stringify({ n: i + j })) } })));
    }
    const seen = await Promise.all(
      subscriptions.map(async (s, k) => {
        const got = [n((await first[k]!).value as Delivery)];
        while (got.length < total) {
          got.push(n((await s.next()).value as Delivery));
          // Readers at different speeds, so that they fall off the ring at different places.
          if (got.length % (50 * (k + 1)) === 0) await new Promise((r) => setTimeout(r, 20));
        }
        return got;
      }),
    );
    for (const got of seen) expect(got).toEqual(Array.from({ length: total }, (_, i) => i));
    controller.abort();
    await Promise.all(subscriptions.map((s) => s.return?.()));
    // The replay consumers were theirs: ended with them, the topic's tail alone is left.
    expect(channel.stats()).toMatchObject({ consumers: 1, subscriptions: 0 });
  }, 120_000);
});
