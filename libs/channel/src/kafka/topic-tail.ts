import { randomUUID } from "node:crypto";
import type { Admin, Kafka } from "kafkajs";
import { partitionId } from "../position";
import { ContiguousConsumer } from "./contiguous-consumer";
import { kafkaCall } from "./kafka-errors";
import { PartitionReader } from "./partition-reader";
import { Replay, type ReplayOptions } from "./replay";
import { Ring } from "./ring";

export interface TailOptions {
  /** Records kept per partition in the ring, and bytes. */
  readonly capacity: number;
  readonly maxBytes: number;
  readonly replay: ReplayOptions;
  /** Prefix of the consumer groups (throwaway, never committed). */
  readonly groupPrefix: string;
}

/**
 * The one consumer this process keeps on a topic. It reads every partition
 * from its end as it was when the tail started into that partition's ring,
 * which every reader of the partition shares through its PartitionReader:
 * fan-out happens in memory, not in the broker. Through reconnects and
 * rejoins it goes on from the last offset it appended (ContiguousConsumer).
 */
export class TopicTail {
  readonly readers = new Map<number, PartitionReader>();
  refs = 0;
  lingerTimer?: NodeJS.Timeout;
  failure?: Error;
  private consumer?: ContiguousConsumer;

  private constructor(readonly topic: string) {}

  static async start(kafka: Kafka, admin: Admin, topic: string, options: TailOptions, onAppend: (partition: string) => void, onFailed: (tail: TopicTail) => void): Promise<TopicTail> {
    const tail = new TopicTail(topic);
    const lowOf = (partition: number) =>
      kafkaCall(`read the offsets of ${topic}`, async () => BigInt((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)?.low ?? "0"));
    const offsets = await kafkaCall(`read the offsets of ${topic}`, () => admin.fetchTopicOffsets(topic));
    for (const { partition, high } of offsets) {
      const id = partitionId(topic, partition);
      const openReplay = (from: bigint) => new Replay(kafka, topic, partition, id, from, options.replay, `${options.groupPrefix}replay-${randomUUID()}`, () => lowOf(partition));
      tail.readers.set(partition, new PartitionReader(id, new Ring(BigInt(high), options.capacity, options.maxBytes), openReplay, () => lowOf(partition)));
    }
    const ring = (p: number) => tail.readers.get(p)?.ring;
    tail.consumer = new ContiguousConsumer(
      kafka,
      topic,
      `${options.groupPrefix}tail-${topic}`,
      { maxWaitTimeInMs: 100, retry: { retries: 10 } },
      {
        next: (p) => (tail.failure ? undefined : ring(p)?.end),
        append: (p, records) => {
          ring(p)!.append(records);
          onAppend(partitionId(topic, p));
        },
        lost: (p, _from, to) => {
          // Readers in what was lost find it gone when they look for a replay there.
          ring(p)!.restartAt(to);
          onAppend(partitionId(topic, p));
        },
        failed: (err) => {
          tail.failure ??= err;
          for (const [p, reader] of tail.readers) {
            reader.failure = tail.failure;
            onAppend(partitionId(topic, p));
          }
          onFailed(tail);
        },
      },
      lowOf,
    );
    try {
      await kafkaCall(`read ${topic}`, () => tail.consumer!.start());
    } catch (err) {
      await tail.stop();
      throw err;
    }
    return tail;
  }

  get buffered(): number {
    let n = 0;
    for (const r of this.readers.values()) n += r.buffered;
    return n;
  }

  get replays(): number {
    let n = 0;
    for (const r of this.readers.values()) n += r.replayCount;
    return n;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...[...this.readers.values()].map((r) => r.close()), this.consumer?.stop()]);
  }
}
