import { randomUUID } from "node:crypto";
import { ChannelUnavailableError, KafkaChannel } from "@meshstream/channel";
import { startKafka, type KafkaBroker } from "../harness/kafka";

const publishTimeoutMs = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Kafka channel under a broker outage", () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka();
  }, 180_000);
  afterAll(() => broker?.destroy());

  it("settles every publish in time while the broker is down, resumes after, and loses nothing acknowledged", async () => {
    const channel = await KafkaChannel.connect({ brokers: broker.brokers, publishTimeoutMs });
    const product = `faults${randomUUID().slice(0, 6)}`;
    const outcomes: Promise<{ ids: string[]; ok: boolean; ms: number; error?: unknown }>[] = [];
    const publishOne = () => {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      const started = Date.now();
      const events = ids.map((id) => ({ product, event: { specversion: "1.0" as const, id, source: "/faults", type: "fault.test", extensions: {}, data: Buffer.from("{}") } }));
      outcomes.push(
        channel.publish(events).then(
          () => ({ ids, ok: true, ms: Date.now() - started }),
          (error: unknown) => ({ ids, ok: false, ms: Date.now() - started, error }),
        ),
      );
    };
    const publishFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        publishOne();
        await sleep(25);
      }
    };

    await publishFor(1000);
    await broker.stop();
    await publishFor(3000);
    await broker.restart();
    await publishFor(3000);
    const results = await Promise.all(outcomes);
    await channel.close();

    // None hangs past its time-out (plus the time a produce request may still take).
    for (const r of results) expect(r.ms).toBeLessThan(publishTimeoutMs + 3000);
    for (const r of results.filter((x) => !x.ok)) {
      expect(r.error).toBeInstanceOf(ChannelUnavailableError);
      expect((r.error as Error).message).toMatch(/Kafka (did not store the events|did not acknowledge the events within 5000 ms)/);
    }
    expect(results.some((r) => !r.ok)).toBe(true);
    // Publishing resumed after the restart.
    expect(results.slice(-20).every((r) => r.ok)).toBe(true);

    const reader = await KafkaChannel.connect({ brokers: broker.brokers });
    try {
      const stored = new Set<string>();
      let cursor: string | undefined;
      for (;;) {
        const page = await reader.fetch({ products: [product] }, cursor, 500, 1000);
        if (page.deliveries.length === 0) break;
        page.deliveries.forEach((d) => stored.add(d.event.id));
        cursor = page.cursor;
      }
      const acknowledged = results.filter((r) => r.ok).flatMap((r) => r.ids);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await reader.close();
    }
  }, 180_000);
});
