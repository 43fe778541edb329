import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { toolPath } from "../../../test/harness/tool-paths";
import { catalogStoreContract } from "./catalog-store.contract";
import { KafkaCatalogStore } from "./kafka-catalog-store";

// Against the real broker the test harness started (test/harness/kafka.ts).
describe("KafkaCatalogStore", () => {
  const brokers = () => toolPath("KAFKA_BROKERS").split(",");
  const open = (topic: string) => KafkaCatalogStore.open({ brokers: brokers(), topic });

  catalogStoreContract(async () => {
    const topic = `catalog-${randomUUID()}`;
    return { store: await open(topic), reopen: () => open(topic) };
  });

  it("reads a topic written by the earlier format (records keyed by the entry alone, the latest then won)", async () => {
    const topic = `catalog-${randomUUID()}`;
    const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const person = { type: "old.type", dataProduct: "old", description: "", compatibility: "BACKWARD", definition: "#T", latestVersion: 0, createTime: "2026-01-01T00:00:00.000Z" };
    try {
      await producer.send({
        topic,
        messages: [
          { key: "product/old", value: JSON.stringify({ name: "old", owner: "o", description: "", source: "/old", createTime: "2026-01-01T00:00:00.000Z" }) },
          { key: "type/old.type", value: JSON.stringify(person) },
          { key: "schema/old.type/0000000001", value: JSON.stringify({ type: "old.type", version: 1, cueSource: "#T: {}", definition: "#T", fingerprint: "f", uri: "u", createTime: "2026-01-01T00:00:00.000Z" }) },
          { key: "type/old.type", value: JSON.stringify({ ...person, latestVersion: 1 }) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const store = await open(topic);
    try {
      expect(store.getProduct("old")?.owner).toBe("o");
      expect(store.getEventType("old.type")?.dataProduct).toBe("old");
      expect(store.listSchemaVersions("old.type").map((v) => v.version)).toEqual([1]);
      expect(await store.createSchemaVersion({ type: "old.type", version: 2, cueSource: "#T: {a?: int}", definition: "#T", fingerprint: "g", uri: "u2", createTime: "2026-01-01T00:00:00.000Z" })).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("tells each instance what the others stored, within a second, and not its own writes", async () => {
    const topic = `catalog-${randomUUID()}`;
    const [a, b] = [await open(topic), await open(topic)];
    try {
      const seen = { a: [] as string[], b: [] as string[] };
      a.watchOthers((e) => seen.a.push(`${e.kind}`));
      const arrived = new Promise<number>((resolve) => {
        const started = Date.now();
        b.watchOthers((e) => {
          seen.b.push(e.kind);
          if (e.kind === "type") resolve(Date.now() - started);
        });
      });
      expect(await a.createProduct({ name: "shared", owner: "o", description: "", source: "/shared", createTime: "2026-01-01T00:00:00.000Z" } as never)).toBe(true);
      expect(await a.createEventType({ type: "shared.t", dataProduct: "shared", description: "", compatibility: "BACKWARD", definition: "#T", latestVersion: 0, createTime: "2026-01-01T00:00:00.000Z" } as never)).toBe(true);
      expect(await arrived).toBeLessThan(1000);
      expect(seen).toEqual({ a: [], b: ["product", "type"] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
