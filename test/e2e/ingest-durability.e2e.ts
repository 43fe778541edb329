import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { IngestService, PublishStreamRequestSchema, type PublishStreamResponse } from "@meshstream/proto";
import { Kafka, logLevel } from "kafkajs";
import { TestClient } from "../harness/grpc-client";
import { startKafka } from "../harness/kafka";
import { startPlatform } from "../harness/platform";

/** Every ce_id in a topic, read with a plain kafkajs consumer up to the high watermarks. */
async function idsIn(brokers: string[], topic: string): Promise<Set<string>> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `check-${randomUUID()}` });
  const ids = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const left = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
    if (left.size === 0) resolve();
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        ids.add(String(message.headers!.ce_id));
        if (BigInt(message.offset) + 1n >= ends.get(partition)!) left.delete(partition);
        if (left.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return ids;
}

describe("ingest durability under a broker outage", () => {
  it("acknowledges in a 10,000-event PublishStream only what Kafka holds, and answers the rest with an error", async () => {
    const broker = await startKafka();
    const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
    const client = new TestClient(platform.address);
    const total = 10_000;
    try {
      const call = client.bidiStream(IngestService.method.publishStream);
      const responses: PublishStreamResponse[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        call.on("data", (r: PublishStreamResponse) => responses.push(r));
        call.on("end", resolve);
        call.on("error", reject);
      });
      const outage = (async () => {
        while (responses.length < 2000) await new Promise((r) => setTimeout(r, 10));
        await broker.stop();
        await new Promise((r) => setTimeout(r, 5000));
        await broker.restart();
      })();
      for (let i = 0; i < total; i++) {
        const request = create(PublishStreamRequestSchema, { event: { type: "MySource:newPerson", id: `durable-${i}`, payload: { case: "dataJson" as const, value: Buffer.from(`{"first":"Ann","Last":"Lee","Age":${i % 100}}`) } } });
        if (!call.write(request)) await new Promise((r) => call.once("drain", r));
      }
      call.end();
      await ended;
      await outage;

      expect(responses.map((r) => Number(r.sequence))).toEqual(Array.from({ length: total }, (_, i) => i));
      const acknowledged = responses.flatMap((r, i) => (r.result?.result.case === "receipt" ? [`durable-${i}`] : []));
      const refused = responses.filter((r) => r.result?.result.case === "error");
      expect(acknowledged.length + refused.length).toBe(total);
      for (const r of refused) {
        expect(r.result!.result.value).toMatchObject({ code: 14 });
      }
      // The outage must have been felt, or this test proves nothing about it.
      expect(refused.length).toBeGreaterThan(0);
      const stored = await idsIn(broker.brokers, "meshstream.people");
      const lost = acknowledged.filter((id) => !stored.has(id));
      process.stderr.write(`durability: ${acknowledged.length} acknowledged, ${refused.length} refused (UNAVAILABLE), ${stored.size} in Kafka, ${lost.length} acknowledged but missing\n`);
      expect(lost).toEqual([]);
    } finally {
      client.close();
      await platform.stop();
      await broker.destroy();
    }
  }, 300_000);
});
