import { create } from "@bufbuild/protobuf";
import { IngestService, PublishStreamRequestSchema, type PublishStreamResponse } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";

/**
 * PublishStream over a real socket (grpc-js client): events validated by the
 * fast path and by the engine are stored in stream order, and each answer
 * comes as soon as its event is stored.
 */
describe("PublishStream", () => {
  let platform: InProcessPlatform;
  let client: TestClient;

  beforeAll(async () => {
    platform = await startInProcessPlatform();
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.close();
  });

  const request = (data: string, subject: string) =>
    create(PublishStreamRequestSchema, { event: { type: "MySource:newPerson", subject, payload: { case: "dataJson", value: Buffer.from(data) } } });

  it("answers each event once it is stored, to a client that waits for every answer before it sends the next", async () => {
    const call = client.bidiStream(IngestService.method.publishStream);
    const answers: PublishStreamResponse[] = [];
    let answered: () => void = () => undefined;
    call.on("data", (r: PublishStreamResponse) => {
      answers.push(r);
      answered();
    });
    for (let i = 0; i < 5; i++) {
      const next = new Promise<void>((resolve) => (answered = resolve));
      call.write(request(`{"first":"Ann","Last":"Lee","Age":${i}}`, "waiting"));
      await next;
    }
    call.end();
    expect(answers.map((a) => [a.sequence, a.result?.result.case])).toEqual([0n, 1n, 2n, 3n, 4n].map((s) => [s, "receipt"]));
  });

  it("stores the events of a stream in its order, whichever tier validated each", async () => {
    // The same person in turns: valid on the fast path, valid after the engine (a key given twice), refused.
    const subject = `order-${Date.now()}`;
    const data = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? `{"first":"Ann","Last":"Lee","Age":${i}}` : i % 3 === 1 ? `{"first":"Ann","first":"Ann","Last":"Lee","Age":${i}}` : `{"first":"ann","Last":"Lee","Age":${i}}`,
    );
    const call = client.bidiStream(IngestService.method.publishStream);
    const answers: PublishStreamResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (r: PublishStreamResponse) => answers.push(r));
      call.on("end", resolve);
      call.on("error", reject);
    });
    for (const d of data) call.write(request(d, subject));
    call.end();
    await done;
    expect(answers.map((a) => a.result?.result.case)).toEqual(data.map((_, i) => (i % 3 === 2 ? "error" : "receipt")));

    const stored: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await platform.channel.fetch({ products: ["people"] }, cursor, 1000, 0);
      if (page.deliveries.length === 0) break;
      cursor = page.cursor;
      for (const d of page.deliveries) {
        if (d.event.subject === subject) stored.push((JSON.parse(Buffer.from(d.event.data!).toString()) as { Age: number }).Age);
      }
    }
    expect(stored).toEqual(data.flatMap((_, i) => (i % 3 === 2 ? [] : [i])));
  });
});
