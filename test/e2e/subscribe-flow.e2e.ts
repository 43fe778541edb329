import { randomUUID } from "node:crypto";
import { KafkaChannel, type EventChannel } from "@meshstream/channel";
import { IngestService, SubscribeService, type SubscribeResponse } from "@meshstream/proto";
import { eventually, storeEvents, storeWhileSampling } from "../harness/flow";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { startPlatform } from "../harness/platform";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const filter = { types: [type] };
const latest = { start: { case: "latest" as const, value: true } };
const kafkaEnv = () => ({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `flow-${randomUUID().slice(0, 8)}.` });
const indexOf = (r: SubscribeResponse) => Number(/"n":(\d+)/.exec(r.delivery!.event!.data.value as string)![1]);

describe("Subscribe flow control on Kafka", () => {
  it("holds a slow reader to bounded memory while 100,000 events arrive, then delivers them all", async () => {
    const env = kafkaEnv();
    const platform = await startPlatform(env);
    const client = new TestClient(platform.address);
    const publisher = await KafkaChannel.connect({ brokers: env.MESHSTREAM_KAFKA_BROKERS.split(","), topicPrefix: env.MESHSTREAM_KAFKA_TOPIC_PREFIX });
    const total = 100_000;
    // About 2 KiB per event: 200 MiB in all, so a server that buffered for its reader would show it.
    try {
      // First a reader that keeps up, through 20,000 events: the baseline is then the platform as
      // this load leaves it (V8's young generation grown to its 2 × 64 MiB semi-spaces, the
      // channel's buffers), and what grows after it is what the slow reader costs. Measured from
      // an idle platform, the growth was that warm-up's (+86 to +177 MiB) more than the reader's.
      const warm = readStream(client.serverStream(SubscribeService.method.subscribe, { filter, start: latest }));
      await warm.ready;
      await storeEvents(publisher, 20_000, 2000);
      await warm.first(20_000, 60_000);
      warm.cancel();

      const call = client.serverStream(SubscribeService.method.subscribe, { filter, start: latest });
      const stream = readStream(call);
      await stream.ready;
      // One message a second: each delivery pauses the client stream for a second.
      let slow = true;
      call.on("data", () => {
        if (!slow) return;
        call.pause();
        setTimeout(() => call.resume(), 1000).unref();
      });

      // The reader stays slow a while longer after the last event is stored.
      const memory = await storeWhileSampling(publisher, platform.process.pid!, total, 2000);
      const readSlowly = stream.items.length;

      slow = false;
      call.resume();
      const all = await stream.first(total, 120_000);
      stream.cancel();

      const { baselineMiB, peakMiB, growthMiB } = memory;
      process.stderr.write(`backpressure: ${readSlowly} events read slowly; server RSS ${baselineMiB.toFixed(0)} MiB → peak ${peakMiB.toFixed(0)} MiB (+${growthMiB.toFixed(1)} MiB) while 100,000 events (~200 MiB) were stored\n`);
      expect(readSlowly).toBeLessThan(100);
      // The bound: well under what the events take (~200 MiB of data; with 'drain' ignored, the
      // growth was +446 MiB), so a server that held them for its reader could not pass. What it
      // does hold: the topic's ring (at most 16 MiB), a replay buffer of 256 events and a few
      // messages in gRPC's buffers; the rest of the growth is garbage not yet collected (+28 to
      // +53 MiB in three runs alone, +70 MiB in a whole suite's run beside other suites).
      expect(growthMiB).toBeLessThan(128);
      expect(all.map(indexOf)).toEqual(Array.from({ length: total }, (_, i) => i));
    } finally {
      client.close();
      await publisher.close();
      await platform.stop();
    }
  }, 300_000);
});

describe.each([
  ["Kafka", kafkaEnv],
  ["embedded", () => ({})],
])("Subscribe cancellation, %s channel", (_name, env) => {
  let platform: InProcessPlatform;
  let client: TestClient;

  beforeAll(async () => {
    platform = await startInProcessPlatform(env());
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.close();
  });

  it("leaves no subscription, consumer, waiter, timer or stream behind after 1,000 subscribe-then-cancel cycles", async () => {
    const channel: EventChannel = platform.channel;
    // An anchor keeps the topic's tail open, so that the cycles below read from memory, as most subscribers do.
    const anchor = readStream(client.serverStream(SubscribeService.method.subscribe, { filter, start: latest }));
    await anchor.ready;
    const { nextCursor: beforeEvent } = await client.unary(SubscribeService.method.fetch, { filter });
    await client.unary(IngestService.method.publish, { event: { type, payload: { case: "dataJson", value: Buffer.from('{"first":"Ann","Last":"Lee"}') } } });
    await anchor.first(1);
    const before = { stats: channel.stats(), timers: timers() };

    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) {
        // A subscriber that got an event, then went away.
        const s = readStream(client.serverStream(SubscribeService.method.subscribe, { filter, start: { start: { case: "after", value: beforeEvent } } }));
        await s.first(1);
        s.cancel();
      } else {
        // One that went away as soon as its subscription was set up.
        const s = readStream(client.serverStream(SubscribeService.method.subscribe, { filter, start: latest }));
        await s.ready;
        s.cancel();
      }
    }
    await eventually(() => channel.stats().subscriptions === before.stats.subscriptions && platform.activeStreams() === 1, "subscriptions released");
    const after = { stats: channel.stats(), timers: timers() };
    expect(after.stats).toEqual(before.stats);
    // A leak would leave one per cycle (500 or 1,000); kafkajs's own heartbeat timers come and go.
    expect(after.timers).toBeLessThanOrEqual(before.timers + 5);
    anchor.cancel();
    await eventually(() => channel.stats().subscriptions === 0 && channel.stats().waiters === 0 && platform.activeStreams() === 0, "anchor released");
  }, 180_000);
});

describe("Subscribe fan-out on Kafka", () => {
  it("delivers every event, in order, to 100 concurrent subscribers through one Kafka consumer", async () => {
    const platform = await startInProcessPlatform(kafkaEnv());
    // One connection each, as 100 separate consumers would have.
    const clients = Array.from({ length: 100 }, () => new TestClient(platform.address, { "grpc.use_local_subchannel_pool": 1 }));
    try {
      const streams = clients.map((c) => readStream(c.serverStream(SubscribeService.method.subscribe, { filter, start: latest })));
      await Promise.all(streams.map((s) => s.ready));
      const publisher = clients[0]!;
      const ids: string[] = [];
      for (let batch = 0; batch < 5; batch++) {
        const { results } = await publisher.unary(IngestService.method.publishBatch, {
          events: Array.from({ length: 100 }, (_, i) => ({ type, subject: "fan-out", payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann", Last: `Lee${batch * 100 + i}` })) } })),
        });
        ids.push(...results.map((r) => (r.result.case === "receipt" ? r.result.value.id : "refused")));
      }
      const received = await Promise.all(streams.map((s) => s.first(ids.length, 120_000)));
      for (const got of received) expect(got.map((r) => r.delivery!.event!.id)).toEqual(ids);
      const kafka = platform.channel as KafkaChannel;
      expect(kafka.tailTopics).toHaveLength(1);
      expect(kafka.stats()).toMatchObject({ consumers: 1, subscriptions: 100 });
      for (const s of streams) s.cancel();
    } finally {
      for (const c of clients) c.close();
      await platform.close();
    }
  }, 180_000);
});

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}
