import { randomUUID } from "node:crypto";
import { toolPath } from "../../../test/harness/tool-paths";
import { catalogStoreContract } from "./catalog-store.contract";
import { KafkaCatalogStore } from "./kafka-catalog-store";

// Against the real broker the test harness started (test/harness/kafka.ts).
describe("KafkaCatalogStore", () => {
  const open = (topic: string) => KafkaCatalogStore.open({ brokers: toolPath("KAFKA_BROKERS").split(","), topic });

  catalogStoreContract(async () => {
    const topic = `catalog-${randomUUID()}`;
    return { store: await open(topic), reopen: () => open(topic) };
  });

  it("shares the catalog between two instances", async () => {
    const topic = `catalog-${randomUUID()}`;
    const [a, b] = [await open(topic), await open(topic)];
    try {
      await a.putProduct({ name: "shared", owner: "o", description: "", source: "/shared", createTime: "2026-11-23T00:00:00.000Z" });
      const deadline = Date.now() + 10_000;
      while (!b.getProduct("shared") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(b.getProduct("shared")?.owner).toBe("o");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
