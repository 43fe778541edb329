import { randomUUID } from "node:crypto";
import { whileRetriable } from "@meshstream/channel";
import { Kafka, logLevel } from "kafkajs";

/**
 * Every ce_id of a topic, per partition, in offset order, read with a plain
 * kafkajs consumer up to the high watermarks: the log as Kafka holds it, for
 * tests to compare what the platform acknowledged and delivered with.
 */
export async function storedIds(brokers: string[], topic: string): Promise<Map<number, string[]>> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // A broker just restarted may not lead its partitions yet.
  const offsets = await whileRetriable(() => admin.fetchTopicOffsets(topic));
  const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  await admin.disconnect();
  const ids = new Map([...ends.keys()].map((p) => [p, [] as string[]]));
  const consumer = kafka.consumer({ groupId: `check-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const left = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
    if (left.size === 0) resolve();
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (BigInt(message.offset) >= ends.get(partition)!) return;
        ids.get(partition)!.push(String(message.headers!.ce_id));
        if (BigInt(message.offset) + 1n >= ends.get(partition)!) left.delete(partition);
        if (left.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return ids;
}
