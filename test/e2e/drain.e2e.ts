import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { IngestService, PublishStreamRequestSchema, SubscribeService, type PublishStreamResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startPlatform } from "../harness/platform";
import { readStream } from "../harness/stream-reader";
import { tempDir } from "../harness/temp";

const type = "MySource:newPerson";

describe("graceful drain on SIGTERM", () => {
  it("stops reading, answers every publish it read, ends streams with UNAVAILABLE, exits 0, and keeps every acknowledged event", async () => {
    const dataDir = tempDir("drain");
    const platform = await startPlatform({ MESHSTREAM_DATA_DIR: dataDir });
    const client = new TestClient(platform.address);
    try {
      const subscription = readStream(client.serverStream(SubscribeService.method.subscribe, { filter: { types: [type] } }));
      await subscription.ready;

      const publishing = client.bidiStream(IngestService.method.publishStream);
      const answers: PublishStreamResponse[] = [];
      const ended = new Promise<grpc.StatusObject>((resolve) => publishing.on("status", resolve));
      publishing.on("error", () => undefined);
      const firstAnswer = new Promise<void>((resolve) =>
        publishing.on("data", (r: PublishStreamResponse) => {
          answers.push(r);
          resolve();
        }),
      );
      const send = (i: number) => publishing.write(create(PublishStreamRequestSchema, { event: { type, id: `drain-${i}`, payload: { case: "dataJson", value: Buffer.from(JSON.stringify({ first: "Ann", Last: "Lee", Age: i % 100 })) } } }));
      for (let i = 0; i < 300; i++) send(i);
      await firstAnswer;
      platform.process.kill("SIGTERM");
      for (let i = 300; i < 400; i++) send(i);

      const status = await ended;
      process.stderr.write(`drain status: ${JSON.stringify({ code: status.code, details: status.details, answers: answers.length, bad: answers.filter((a) => a.result?.result.case !== "receipt").slice(0, 3) }, (_k, v) => (typeof v === "bigint" ? Number(v) : v))}\n`);
      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect((await subscription.failure()).code).toBe(grpc.status.UNAVAILABLE);
      expect(await platform.stop()).toBe(0);

      // Answers come in order, with no gap, each a receipt: what was read was stored.
      expect(answers.map((a) => Number(a.sequence))).toEqual(answers.map((_, i) => i));
      expect(answers.filter((a) => a.result?.result.case !== "receipt").map((a) => a.result?.result.value)).toEqual([]);
      const acknowledged = answers.map((a) => (a.result!.result.value as { id: string }).id);
      expect(acknowledged.length).toBeGreaterThan(0);
      process.stderr.write(`drain: ${acknowledged.length} of 400 publishes answered before the stream ended\n`);

      // Nothing acknowledged is lost: the same data folder, started again, holds every one.
      const again = await startPlatform({ MESHSTREAM_DATA_DIR: dataDir });
      const reader = new TestClient(again.address);
      try {
        const stored = new Set<string>();
        for (let cursor = "", more = true; more; ) {
          const page = await reader.unary(SubscribeService.method.fetch, { filter: { types: [type] }, cursor, maxEvents: 1000 });
          page.deliveries.forEach((d) => stored.add(d.event!.id));
          more = page.deliveries.length > 0;
          cursor = page.nextCursor;
        }
        expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      } finally {
        reader.close();
        await again.stop();
      }
    } finally {
      client.close();
    }
  });
});
