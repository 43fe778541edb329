import { create } from "@bufbuild/protobuf";
import { IngestService, PublishStreamRequestSchema, type PublishStreamResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startKafka } from "../harness/kafka";
import { storedIds } from "../harness/kafka-log";
import { startPlatform } from "../harness/platform";
import { readStream } from "../harness/stream-reader";

describe("ingest durability under a broker outage", () => {
  it("acknowledges in a 10,000-event PublishStream only what Kafka holds, and answers the rest with an error", async () => {
    const broker = await startKafka();
    const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
    const client = new TestClient(platform.address);
    const total = 10_000;
    try {
      const call = client.bidiStream(IngestService.method.publishStream);
      const { items: responses, ended } = readStream<PublishStreamResponse>(call);
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
      const stored = new Set([...(await storedIds(broker.brokers, "meshstream.people")).values()].flat());
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
