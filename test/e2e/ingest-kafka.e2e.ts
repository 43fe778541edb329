import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { run } from "../harness/run";
import { startKafka } from "../harness/kafka";
import { startPlatform } from "../harness/platform";
import { toolPath } from "../harness/tool-paths";

describe("ingest on Kafka", () => {
  it("stores an accepted event in the product's topic in binary mode, with the exact data bytes", async () => {
    const brokers = toolPath("KAFKA_BROKERS");
    const prefix = `ingest-${randomUUID().slice(0, 8)}.`;
    const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: brokers, MESHSTREAM_KAFKA_TOPIC_PREFIX: prefix });
    const data = '{"first":"John",  "Last":"Doe","Age":40}';
    try {
      const r = await run(
        toolPath("GRPCURL"),
        ["-plaintext", "-d", "@", platform.address, "meshstream.v1.IngestService/Publish"],
        { input: JSON.stringify({ event: { type: "MySource:newPerson", subject: "john", dataJson: Buffer.from(data).toString("base64"), extensions: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } } }), timeoutMs: 30_000 },
      );
      expect(r.stderr).toBe("");
      const { receipt } = JSON.parse(r.stdout) as { receipt: { id: string } };

      const kafka = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `check-${randomUUID()}` });
      await consumer.connect();
      await consumer.subscribe({ topic: `${prefix}people`, fromBeginning: true });
      const message = await new Promise<{ key: string; value: string; headers: Record<string, string> }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message: m }) =>
            resolve({
              key: m.key!.toString(),
              value: m.value!.toString(),
              headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
            }),
        });
      });
      await consumer.disconnect();
      expect(message.value).toBe(data);
      expect(message.key).toBe("john");
      expect(message.headers).toMatchObject({
        ce_id: receipt.id,
        ce_type: "MySource:newPerson",
        ce_source: "/people",
        ce_specversion: "1.0",
        ce_subject: "john",
        ce_dataschema: "meshstream:schema/MySource%3AnewPerson/1",
        ce_traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "content-type": "application/json",
      });
      expect(message.headers.ce_time).toMatch(/^\d{4}-\d\d-\d\dT/);
    } finally {
      await platform.stop();
    }
  }, 90_000);
});

describe("ingest with the broker down", () => {
  it("answers UNAVAILABLE, never an acknowledgement, and acknowledges again once the broker is back", async () => {
    const broker = await startKafka();
    const platform = await startPlatform({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: broker.brokers.join(",") });
    const publish = () =>
      run(toolPath("GRPCURL"), ["-plaintext", "-max-time", "60", "-d", "@", platform.address, "meshstream.v1.IngestService/Publish"], {
        input: JSON.stringify({ event: { type: "MySource:newPerson", data: { first: "John", Last: "Doe" } } }),
        timeoutMs: 70_000,
      });
    try {
      expect((await publish()).code).toBe(0);
      await broker.stop();
      const down = await publish();
      expect(down.stdout).not.toContain("receipt");
      expect(down.stderr).toContain("Code: Unavailable");
      expect(down.stderr).toMatch(/Kafka did (not store the events|not acknowledge the events within)/);
      await broker.restart();
      const back = await publish();
      expect(back.stderr).toBe("");
      expect(back.stdout).toContain("receipt");
    } finally {
      await platform.stop();
      await broker.destroy();
    }
  }, 180_000);
});
