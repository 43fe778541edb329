import type { Admin, Consumer, Kafka } from "kafkajs";
import { partitionId } from "../position";
import { storedRecord } from "./records";
import { Ring } from "./ring";

/**
 * The one consumer this process keeps on a topic. It reads from the end of
 * each partition as it was when the tail started, into one bounded ring per
 * partition, which every subscriber of the topic reads: fan-out happens in
 * memory, not in the broker.
 */
export class TopicTail {
  readonly rings = new Map<number, Ring>();
  refs = 0;
  lingerTimer?: NodeJS.Timeout;
  private readonly consumer: Consumer;

  private constructor(
    kafka: Kafka,
    readonly topic: string,
    groupId: string,
  ) {
    // A group of its own, never committed: the tail's position is chosen by seek.
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, retry: { retries: 10 } });
  }

  static async start(
    kafka: Kafka,
    admin: Admin,
    topic: string,
    groupId: string,
    ring: { capacity: number; maxBytes: number },
    onAppend: (partition: string) => void,
  ): Promise<TopicTail> {
    const tail = new TopicTail(kafka, topic, groupId);
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const o of offsets) tail.rings.set(o.partition, new Ring(BigInt(o.high), ring.capacity, ring.maxBytes));
    await tail.consumer.connect();
    await tail.consumer.subscribe({ topic, fromBeginning: false });
    await tail.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const ring = tail.rings.get(batch.partition);
        if (ring?.append(batch.messages.map(storedRecord))) onAppend(partitionId(topic, batch.partition));
      },
    });
    for (const o of offsets) tail.consumer.seek({ topic, partition: o.partition, offset: o.high });
    return tail;
  }

  get buffered(): number {
    let n = 0;
    for (const r of this.rings.values()) n += r.size;
    return n;
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
