import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { startKafka, type KafkaBroker } from "../../../../test/harness/kafka";
import { toolPath } from "../../../../test/harness/tool-paths";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { channelContract } from "../channel.contract";
import { EventsExpiredError } from "../errors";
import type { Delivery } from "../event-channel";
import { decodePosition } from "../position";
import { KafkaChannel } from "./kafka-channel";

// Against the real broker the test harness started (test/harness/kafka.ts).
const brokers = () => toolPath("KAFKA_BROKERS").split(",");
const n = (d: Delivery) => (JSON.parse(Buffer.from(d.event.data!).toString()) as { n: number }).n;

/** Subscriptions from the latest event, each positioned (its first read waiting) before this resolves: all published after is theirs. */
function positioned(channel: KafkaChannel, product: string, count: number, signal: AbortSignal) {
  // One signal shared by `count` subscriptions, each listening to it (Node warns from 11 on).
  setMaxListeners(count, signal);
  return Promise.all(
    Array.from({ length: count }, async () => {
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      const iterator = channel.subscribe({ products: [product] }, { kind: "latest" }, { signal, onReady: ready })[Symbol.asyncIterator]();
      const first = iterator.next();
      await Promise.race([isReady, first]);
      return { iterator, first };
    }),
  );
}

describe("KafkaChannel", () => {
  // The outage test kills a broker: one of its own, started when that test runs, not the run's shared one.
  let own: Promise<KafkaBroker> | undefined;
  const ownBroker = () => (own ??= startKafka());
  afterAll(async () => (await own)?.destroy());
  // A ring smaller than the contract's burst of 5,000 events, so that its bounded-buffer test reaches the replay path.
  channelContract(() => KafkaChannel.connect({ brokers: brokers(), topicPrefix: `contract-${Date.now()}.`, ringCapacity: 1024 }), {
    settleMs: 1500,
    storage: () => {
      const topicPrefix = `restart-${randomUUID().slice(0, 8)}.`;
      return () => KafkaChannel.connect({ brokers: brokers(), topicPrefix });
    },
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
    const subscriptions = await positioned(channel, product, 3, controller.signal);
    const total = 3000;
    for (let i = 0; i < total; i += 500) {
      await channel.publish(Array.from({ length: 500 }, (_, j) => ({ product, event: { specversion: "1.0" as const, id: randomUUID(), source: "/ring", type: "ring.test", extensions: {}, data: Buffer.from(JSON.stringify({ n: i + j })) } })));
    }
    const seen = await Promise.all(
      subscriptions.map(async ({ iterator: s, first }, k) => {
        const got = [n((await first).value as Delivery)];
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
    await Promise.all(subscriptions.map((s) => s.iterator.return?.()));
    // The replay consumers were theirs: ended with them, the topic's tail alone is left.
    expect(channel.stats()).toMatchObject({ consumers: 1, subscriptions: 0 });
  }, 120_000);
});

describe("KafkaChannel when the log loses events its readers still need", () => {
  let channel: KafkaChannel;
  let admin: Admin;
  const prefix = `lost-${Date.now()}.`;
  beforeAll(async () => {
    // A small ring, and replays that read little ahead: readers from the earliest read through a replay that pauses.
    channel = await KafkaChannel.connect({ brokers: brokers(), topicPrefix: prefix, ringCapacity: 100, replayBuffer: 10 });
    admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await channel.close();
  });

  it("ends a subscription and a fetch that would cross deleted records with DATA_LOSS and the position where the log resumes", async () => {
    const product = `p${randomUUID().slice(0, 6)}`;
    const pad = "x".repeat(1000);
    // 2,000 events of 1 KiB: more than the ring holds and more than one replay fetch (512 KiB).
    const positions = await channel.publish(Array.from({ length: 2000 }, (_, i) => ({ product, event: { specversion: "1.0" as const, id: randomUUID(), source: "/lost", type: "lost.test", extensions: {}, data: Buffer.from(JSON.stringify({ n: i, pad })) } })));
    const subscription = channel.subscribe({ products: [product] }, { kind: "earliest" })[Symbol.asyncIterator]();
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) seen.push(n((await subscription.next()).value as Delivery));
    // Retention, as deleteTopicRecords does it: the log now starts at 1,500.
    await admin.fetchTopicMetadata({ topics: [`${prefix}${product}`] });
    await admin.deleteTopicRecords({ topic: `${prefix}${product}`, partitions: [{ partition: 0, offset: "1500" }] });
    const failure = await (async () => {
      for (;;) {
        const next = await subscription.next();
        if (next.done) return undefined;
        seen.push(n(next.value));
      }
    })().catch((e: unknown) => e);
    // What its replay had read before is delivered; then it stops, never skipping to 1,500.
    expect(failure).toBeInstanceOf(EventsExpiredError);
    expect(failure).toMatchObject({ code: "data_loss", resumeAt: 1500n });
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    expect(seen.length).toBeLessThan(1500);
    // The position it carries resumes at the log's new start...
    const resumed = await channel.fetch({ products: [product] }, (failure as EventsExpiredError).position, 5, 0);
    expect(resumed.deliveries.map(n)).toEqual([1500, 1501, 1502, 1503, 1504]);
    // ...and a fetch after a position whose next events are gone is refused the same way, at once.
    const stale = await channel.fetch({ products: [product] }, positions[99], 5, 0).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(EventsExpiredError);
    expect([...decodePosition((stale as EventsExpiredError).position!).values()]).toEqual([1500n]);
  }, 60_000);
});

describe("KafkaChannel with many readers behind its ring", () => {
  let channel: KafkaChannel;
  beforeAll(async () => {
    channel = await KafkaChannel.connect({ brokers: brokers(), topicPrefix: `laggards-${Date.now()}.`, ringCapacity: 500 });
  });
  afterAll(() => channel.close());

  it("lets 100 readers that fell behind the ring share replays: at most 2 replay consumers, each reader gets everything in order", async () => {
    const product = `p${randomUUID().slice(0, 6)}`;
    const total = 3000;
    const controller = new AbortController();
    // None reads more than its first event until all is stored.
    const readers = await positioned(channel, product, 100, controller.signal);
    for (let i = 0; i < total; i += 500) {
      await channel.publish(Array.from({ length: 500 }, (_, j) => ({ product, event: { specversion: "1.0" as const, id: randomUUID(), source: "/laggards", type: "laggards.test", extensions: {}, data: Buffer.from(JSON.stringify({ n: i + j })) } })));
    }
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, channel.stats().consumers)), 10);

    try {
      const seen = await Promise.all(
        readers.map(async ({ iterator: r, first }, k) => {
          const got = [n((await first).value as Delivery)];
          while (got.length < total) {
            got.push(n((await r.next()).value as Delivery));
            // Readers at a few different speeds.
            if (got.length % (100 * (1 + (k % 3))) === 0) await new Promise((res) => setTimeout(res, 5));
          }
          return got;
        }),
      );
      for (const got of seen) expect(got).toEqual(Array.from({ length: total }, (_, i) => i));
    } finally {
      clearInterval(sampler);
      controller.abort();
      await Promise.all(readers.map((r) => r.iterator.return?.()));
    }
    // The topic's tail, and the replays the 100 readers shared.
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
    expect(channel.stats()).toMatchObject({ consumers: 1, subscriptions: 0 });
  }, 120_000);
});
