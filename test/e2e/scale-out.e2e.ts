import { randomUUID } from "node:crypto";
import { CatalogService, CompatibilityPolicy, IngestService, SubscribeService, type SubscribeResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startPlatform } from "../harness/platform";
import { toolPath } from "../harness/tool-paths";

/** A live subscription's deliveries as they come, once its start is fixed on the log (the response headers). */
function subscription(client: TestClient, filter: { types?: string[]; typePrefixes?: string[] }) {
  const call = client.serverStream(SubscribeService.method.subscribe, { filter, start: { start: { case: "latest", value: true } } });
  const received: { type: string; id: string }[] = [];
  call.on("data", (m: SubscribeResponse) => received.push({ type: m.delivery!.event!.type, id: m.delivery!.event!.id }));
  call.on("error", () => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    call.once("metadata", () => resolve());
    call.once("error", reject);
  });
  const until = async (count: number, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return received;
  };
  return { ready, until, cancel: () => call.cancel() };
}

/** Polls until `probe` succeeds; how long it took. */
async function timeUntil(probe: () => Promise<unknown>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await probe();
      return Date.now() - started;
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

// Three platform processes on the run's broker, sharing one topic prefix: one platform.
describe("three platform instances on one Kafka broker", () => {
  it("see each other's catalog changes within a second; register on 1, publish on 2, receive on 3; a running prefix subscription picks up a type registered later", async () => {
    const env = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `scale-${randomUUID().slice(0, 8)}.` };
    const platforms = await Promise.all([startPlatform(env), startPlatform(env), startPlatform(env)]);
    const [one, two, three] = platforms.map((p) => new TestClient(p.address));
    const subscriptions: { cancel(): void }[] = [];
    const register = async (client: TestClient, product: string, type: string) => {
      await client.unary(CatalogService.method.registerEventType, { eventType: { type, dataProduct: product, description: type, compatibility: CompatibilityPolicy.BACKWARD, definition: "#Move" } });
      await client.unary(CatalogService.method.registerSchemaVersion, { type, cueSource: "#Move: {vehicle: string, km: number}" });
    };
    const publish = (client: TestClient, type: string) =>
      client.unary(IngestService.method.publish, { event: { type, id: randomUUID(), payload: { case: "dataJson", value: Buffer.from('{"vehicle":"truck-7","km":12.5}') } } });
    try {
      await one.unary(CatalogService.method.createDataProduct, { dataProduct: { name: "fleet", owner: "fleet-team", description: "Vehicles", source: "/fleet" } });
      await register(one, "fleet", "fleet.truck.moved");
      const seenIn = await Promise.all(
        [two, three].map((c) => timeUntil(() => c.unary(CatalogService.method.getSchemaVersion, { type: "fleet.truck.moved", version: 1 }))),
      );
      expect(Math.max(...seenIn)).toBeLessThan(1000);

      const exact = subscription(three, { types: ["fleet.truck.moved"] });
      const prefix = subscription(three, { typePrefixes: ["fleet."] });
      subscriptions.push(exact, prefix);
      await Promise.all([exact.ready, prefix.ready]);
      const moved = await publish(two, "fleet.truck.moved");
      expect((await exact.until(1)).map((d) => d.id)).toEqual([moved.receipt!.id]);

      // A type of a new product, registered on instance 1 while the prefix subscription runs on 3, published on 2.
      await one.unary(CatalogService.method.createDataProduct, { dataProduct: { name: "depots", owner: "fleet-team", description: "Depots", source: "/depots" } });
      await register(one, "depots", "fleet.depot.opened");
      await timeUntil(() => two.unary(CatalogService.method.getSchemaVersion, { type: "fleet.depot.opened", version: 1 }));
      const opened = await publish(two, "fleet.depot.opened");
      expect(await prefix.until(2)).toEqual([
        { type: "fleet.truck.moved", id: moved.receipt!.id },
        { type: "fleet.depot.opened", id: opened.receipt!.id },
      ]);
    } finally {
      for (const s of subscriptions) s.cancel();
      for (const c of [one, two, three]) c.close();
      await Promise.all(platforms.map((p) => p.stop()));
    }
  }, 180_000);
});
