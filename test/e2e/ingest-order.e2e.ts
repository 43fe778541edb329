import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { IngestService, PublishStreamRequestSchema, SubscribeService, type PublishStreamResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { readStream } from "../harness/stream-reader";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";

describe.each([
  ["embedded", () => ({})],
  ["Kafka", () => ({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `order-${randomUUID().slice(0, 8)}.` })],
])("PublishStream order, %s channel", (_name, env) => {
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

  it("stores the 10,000 events of one stream, one product and one key, in the order they were sent", async () => {
    const total = 10_000;
    const call = client.bidiStream(IngestService.method.publishStream);
    const { items: responses, ended } = readStream<PublishStreamResponse>(call);
    const sent = Array.from({ length: total }, (_, i) => `order-${i}-${randomUUID()}`);
    for (let i = 0; i < total; i++) {
      // Data of different sizes, so that validations finish in another order than they start.
      const request = create(PublishStreamRequestSchema, {
        event: { type, id: sent[i], subject: "one-key", payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann".repeat(1 + (i % 7) * 3), Last: "Lee", Age: i % 100 })) } },
      });
      if (!call.write(request)) await new Promise((r) => call.once("drain", r));
    }
    call.end();
    await ended;
    expect(responses.filter((r) => r.result?.result.case !== "receipt")).toEqual([]);

    const stored: string[] = [];
    let cursor = "";
    while (stored.length < total) {
      const page = await client.unary(SubscribeService.method.fetch, { filter: { types: [type] }, cursor, maxEvents: 1000 });
      if (page.deliveries.length === 0) break;
      stored.push(...page.deliveries.map((d) => d.event!.id));
      cursor = page.nextCursor;
    }
    const inversions = stored.filter((id, k) => k > 0 && Number(id.split("-")[1]) < Number(stored[k - 1]!.split("-")[1])).length;
    expect({ inversions, stored: stored.length }).toEqual({ inversions: 0, stored: total });
    expect(stored).toEqual(sent);
  }, 180_000);
});
