import { randomUUID } from "node:crypto";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { IngestService, SubscriptionService, type ReceivedEvent } from "@meshstream/proto";
import { Kafka, logLevel } from "kafkajs";
import { DurableConsumer } from "../harness/durable-consumer";
import { TestClient } from "../harness/grpc-client";
import { startPlatform } from "../harness/platform";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const total = 2000;

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lastOf = (r: ReceivedEvent) => (JSON.parse(Buffer.from(r.delivery!.event!.data.value as Uint8Array).toString()) as { Last: string }).Last;

describe("one durable subscription on two platform processes (Kafka)", () => {
  it("spreads the work over both; one SIGKILLed, what its consumer held unacknowledged is delivered via the survivor, nothing lost", async () => {
    const brokers = toolPath("KAFKA_BROKERS");
    const prefix = `durable-two-${randomUUID().slice(0, 8)}.`;
    // Two partitions for the product: one for each instance.
    const admin = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}people`, numPartitions: 2 }] });
    await admin.disconnect();

    const env = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: brokers, MESHSTREAM_KAFKA_TOPIC_PREFIX: prefix };
    const [a, b] = await Promise.all([startPlatform(env), startPlatform(env)]);
    const clientA = new TestClient(a.address);
    const clientB = new TestClient(b.address);
    try {
      const name = "people-shared";
      await clientA.unary(SubscriptionService.method.createSubscription, {
        subscription: { name, filter: { types: [type] }, start: { start: { case: "earliest", value: true } }, ackDeadline: durationFromMs(2000) },
      });
      // Instance B knows it at once from the shared topic.
      expect((await clientB.unary(SubscriptionService.method.getSubscription, { name })).subscription?.name).toBe(name);
      for (let i = 0; i < total; i += 500) {
        const events = Array.from({ length: 500 }, (_, j) => ({
          type,
          subject: `person-${(i + j) % 10}`,
          payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann", Last: `N${i + j}` })) },
        }));
        await clientA.unary(IngestService.method.publishBatch, { events });
      }

      const ackedVia = { a: new Set<string>(), b: new Set<string>() };
      const held = new Set<string>();
      let duplicates = 0;
      // A's consumer acknowledges 100 events, then holds what it gets: what A dies with.
      new DurableConsumer(clientA, name, 100, (r) => {
        if (ackedVia.a.size < 100) return (ackedVia.a.add(lastOf(r)), "ack");
        held.add(lastOf(r));
        return "hold";
      });
      new DurableConsumer(clientB, name, 100, (r) => {
        if (ackedVia.a.has(lastOf(r)) || ackedVia.b.has(lastOf(r))) duplicates++;
        ackedVia.b.add(lastOf(r));
        return "ack";
      });
      await until("both instances deliver", () => ackedVia.a.size === 100 && held.size > 0 && ackedVia.b.size > 0, 30_000);
      expect(await a.stop("SIGKILL")).toBeNull();
      // After the group's session timeout (6 s) A's partition is B's, with what A held unacknowledged.
      await until("every event is acknowledged", () => new Set([...ackedVia.a, ...ackedVia.b]).size === total, 40_000);
      for (const x of held) expect(ackedVia.b.has(x)).toBe(true);
      // An acknowledgement comes again only if it reached A for an event of the partition A lost when B joined (the group
      // rebalanced: at most A's 100 outstanding), or within A's last 25 ms flush before the kill.
      expect(duplicates).toBeLessThanOrEqual(100);
    } finally {
      clientA.close();
      clientB.close();
      await Promise.all([a.stop("SIGKILL"), b.stop()]);
    }
  }, 120_000);
});
