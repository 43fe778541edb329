import { randomUUID } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import type { Worker } from "node:worker_threads";
import { toolPath } from "../../../../test/harness/tool-paths";
import { ChannelError } from "../errors";
import { ProducerThread } from "./producer-thread";

// The thread's own behaviour; what the channel does with it is the channel contract's (kafka-channel.spec.ts).
describe("ProducerThread", () => {
  const threads: ProducerThread[] = [];
  const thread = (brokers: string[], connectionTimeout = 1000, lanes = 1) => {
    const t = new ProducerThread({ client: { clientId: "producer-thread-spec", brokers, connectionTimeout, requestTimeout: 1000, retry: { retries: 0 } }, lanes });
    threads.push(t);
    return t;
  };
  afterAll(() => Promise.all(threads.map((t) => t.close())));

  const newTopic = async () => {
    const topic = `producer-thread-${randomUUID().slice(0, 8)}`;
    const { Kafka, logLevel } = await import("kafkajs");
    const admin = new Kafka({ brokers: toolPath("KAFKA_BROKERS").split(","), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    await admin.disconnect();
    return topic;
  };
  const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ partition: 0, key: null, value: Buffer.from(`v${i}`), headers: { ce_id: `id-${i}` } }));

  it("stores records and says where: consecutive offsets per partition, in request order", async () => {
    const t = thread(toolPath("KAFKA_BROKERS").split(","));
    const topic = await newTopic();
    const [first] = await t.send(0, [{ topic, messages: messages(3) }], 10_000);
    const [second] = await t.send(0, [{ topic, messages: messages(2) }], 10_000);
    expect(first).toEqual({ topicName: topic, partition: 0, baseOffset: "0" });
    expect(second).toEqual({ topicName: topic, partition: 0, baseOffset: "3" });
  });

  it("sends through each of its lanes at once, each lane's requests in the order sent, a replaced lane too", async () => {
    const t = thread(toolPath("KAFKA_BROKERS").split(","), 1000, 2);
    await t.connect();
    const topic = await newTopic();
    const sends = [0, 1, 0, 1].map((lane, i) => t.send(lane, [{ topic, messages: messages(i + 1) }], 10_000));
    void t.replace(1);
    sends.push(t.send(1, [{ topic, messages: messages(5) }], 10_000));
    const ranges = (await Promise.all(sends)).map(([r]) => Number(r!.baseOffset));
    // Every request has its own range: 1 + 2 + 3 + 4 + 5 records, no overlap.
    const sizes = [1, 2, 3, 4, 5];
    const spans = ranges.map((from, i) => [from, from + sizes[i]!] as const).sort((x, y) => x[0] - y[0]);
    expect(spans.map(([from], i) => (i === 0 ? from : from - spans[i - 1]![1]))).toEqual([0, 0, 0, 0, 0]);
    // Within a lane, in the order sent.
    expect(ranges[0]!).toBeLessThan(ranges[2]!);
    expect(ranges[1]!).toBeLessThan(ranges[3]!);
    expect(ranges[3]!).toBeLessThan(ranges[4]!);
  });

  it("fails with the channel's code and kafkajs's words when no broker answers", async () => {
    const err = await thread(["127.0.0.1:1"]).connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChannelError);
    expect(err).toMatchObject({ code: "unavailable", message: expect.stringMatching(/ECONNREFUSED|Connection error/) });
  });

  it("fails what it held when its thread dies (not acknowledged: unavailable), and starts a new one for the next request", async () => {
    // A listener that takes connections and never answers: the connect is still in hand when the thread goes.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const t = thread([`127.0.0.1:${(silent.address() as AddressInfo).port}`]);
    const held = t.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    await (t as unknown as { worker: Worker }).worker.terminate();
    expect(await held).toMatchObject({ code: "unavailable", message: expect.stringMatching(/the producer thread exited/) });
    // The next request gets a new thread (which fails on its own terms here: still no broker).
    const next = await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(next).toMatchObject({ code: "unavailable" });
    expect((next as Error).message).not.toMatch(/exited/);
    silent.close();
  });
});
