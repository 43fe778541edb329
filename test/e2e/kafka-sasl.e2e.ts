import { IngestService } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startKafka, type KafkaBroker } from "../harness/kafka";
import { startPlatform } from "../harness/platform";

// A broker of its own with a SASL listener (PLAIN and SCRAM-SHA-256, one user): the platform's Kafka clients
// (channel, catalog, probe) authenticate with MESHSTREAM_KAFKA_SASL_*, and a wrong password stops the start.
describe("Kafka with SASL", () => {
  const password = "s3cret-for-kafka";
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka({ sasl: { username: "platform", password } });
  }, 180_000);
  afterAll(() => broker?.destroy());

  const env = (mechanism: string, secret: string) => ({
    MESHSTREAM_CHANNEL: "kafka",
    MESHSTREAM_KAFKA_BROKERS: broker.saslBrokers.join(","),
    MESHSTREAM_KAFKA_SASL_MECHANISM: mechanism,
    MESHSTREAM_KAFKA_SASL_USERNAME: "platform",
    MESHSTREAM_KAFKA_SASL_PASSWORD: secret,
  });

  it("publishes through PLAIN and SCRAM-SHA-256; refuses to start with a wrong password, saying why, without logging a password", async () => {
    const [plain, scram, wrong] = await Promise.allSettled([
      startPlatform(env("plain", password)),
      startPlatform(env("scram-sha-256", password)),
      startPlatform(env("plain", "not-the-password")),
    ]);
    try {
      for (const started of [plain, scram]) {
        expect(started.status).toBe("fulfilled");
        const platform = (started as PromiseFulfilledResult<Awaited<ReturnType<typeof startPlatform>>>).value;
        const client = new TestClient(platform.address);
        try {
          const r = await client.unary(IngestService.method.publish, { event: { type: "MySource:newPerson", payload: { case: "dataJson", value: Buffer.from('{"first":"John","Last":"Doe"}') } } });
          expect(r.receipt!.position).not.toBe("");
        } finally {
          client.close();
        }
        expect(platform.logs.join("\n")).not.toContain(password);
      }
      expect(wrong.status).toBe("rejected");
      const reason = String((wrong as PromiseRejectedResult).reason);
      expect(reason).toMatch(/cannot reach Kafka at 127\.0\.0\.1:\d+: .*SASL PLAIN authentication failed/);
      expect(reason).not.toContain("not-the-password");
    } finally {
      await Promise.all([plain, scram].map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    }
  }, 180_000);
});
