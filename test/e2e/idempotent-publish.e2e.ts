import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { IngestService, PublishStreamRequestSchema, SubscribeService, type PublishStreamResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startPlatform } from "../harness/platform";
import { tempDir } from "../harness/temp";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const event = (id: string) => ({ type, id, source: "/retrying-producer", payload: { case: "dataJson" as const, value: Buffer.from('{"first":"John","Last":"Doe"}') } });

/** Every stored event of the type, in order, through Fetch from the earliest. */
async function storedIds(client: TestClient): Promise<string[]> {
  const ids: string[] = [];
  for (let cursor = ""; ; ) {
    const page = await client.unary(SubscribeService.method.fetch, { filter: { types: [type] }, cursor, maxEvents: 1000 });
    if (page.deliveries.length === 0) return ids;
    ids.push(...page.deliveries.map((d) => d.event!.id));
    cursor = page.nextCursor;
  }
}

/** One PublishStream carrying these events; its receipts' positions, in order. */
async function streamed(client: TestClient, ids: string[]): Promise<string[]> {
  const call = client.bidiStream(IngestService.method.publishStream);
  const positions: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (r: PublishStreamResponse) => positions.push(r.result?.result.case === "receipt" ? r.result.result.value.position : `error: ${JSON.stringify(r.result?.result.value)}`));
    call.on("end", resolve);
    call.on("error", reject);
  });
  for (const id of ids) call.write(create(PublishStreamRequestSchema, { event: event(id) }));
  call.end();
  await done;
  return positions;
}

describe.each([
  ["embedded", () => ({ MESHSTREAM_DATA_DIR: tempDir("idempotent") })],
  ["kafka", () => ({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `idem-${randomUUID().slice(0, 8)}.` })],
])("idempotent publish on the %s channel", (_, environment) => {
  it("stores a (source, id) published twice at once, and again after a restart, once, with the same receipt; another id is stored", async () => {
    const env = environment();
    const id = randomUUID();
    let first: string;
    const platform = await startPlatform(env);
    const client = new TestClient(platform.address);
    try {
      // Twice concurrently by unary Publish, and twice within one stream beside it.
      const [a, b, [c, d]] = await Promise.all([
        client.unary(IngestService.method.publish, { event: event(id) }),
        client.unary(IngestService.method.publish, { event: event(id) }),
        streamed(client, [id, id]),
      ]);
      first = a.receipt!.position;
      expect(first).not.toBe("");
      expect([b.receipt!.position, c, d]).toEqual([first, first, first]);
      expect(a.receipt!.id).toBe(id);
      expect(await storedIds(client)).toEqual([id]);
    } finally {
      client.close();
      await platform.stop();
    }
    const restarted = await startPlatform(env);
    const again = new TestClient(restarted.address);
    try {
      const other = randomUUID();
      const [repeat, fresh] = await Promise.all([again.unary(IngestService.method.publish, { event: event(id) }), again.unary(IngestService.method.publish, { event: event(other) })]);
      expect(repeat.receipt).toMatchObject({ id, position: first });
      expect(fresh.receipt!.position).not.toBe(first);
      expect(await storedIds(again)).toEqual([id, other]);
    } finally {
      again.close();
      await restarted.stop();
    }
  }, 120_000);
});
