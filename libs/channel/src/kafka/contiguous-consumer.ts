import type { Consumer, ConsumerConfig, Kafka } from "kafkajs";
import { ChannelUnavailableError } from "../errors";
import { channelErrorOf } from "./kafka-errors";
import { storedRecord, type KafkaStoredRecord } from "./records";

/** Where a ContiguousConsumer's records go, and where it stands on each partition. */
export interface ContiguousSink {
  /** Offset of the next record wanted from this partition; undefined for a partition not read. */
  next(partition: number): bigint | undefined;
  /** Records continuing exactly at next(partition), in offset order, with no gap. */
  append(partition: number, records: readonly KafkaStoredRecord[]): void;
  /** The log no longer holds offsets [from, to) of this partition (retention): reading goes on at `to`. */
  lost(partition: number, from: bigint, to: bigint): void;
  /** The consumer stopped for good: nothing more will be appended. */
  failed(err: Error): void;
}

/** Consecutive gaps seen on one partition with no progress before it is taken for a hole in the log itself. */
const maxGapRetries = 10;

/**
 * A kafkajs consumer that hands on each partition's records with no gap and
 * no duplicate, from the offsets its sink says. Its group is its own and is
 * never committed, so kafkajs restarts it at its default offset after every
 * rejoin or crash (a broker restart): that skipped events. So it seeks every
 * assigned partition to the sink's next offset whenever it joins, drops
 * records it already handed on, and when a batch still starts past the next
 * offset it drops the batch and seeks back — unless the log no longer holds
 * those offsets, which it reports as lost.
 *
 * Offsets are dense: Meshstream's topics are written only by its idempotent,
 * non-transactional producer and never compacted. A gap that persists after
 * seeking back would contradict that; it stops the consumer (failed), rather
 * than skip.
 */
export class ContiguousConsumer {
  private readonly consumer: Consumer;
  private readonly gaps = new Map<number, number>();
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    groupId: string,
    config: Omit<ConsumerConfig, "groupId">,
    private readonly sink: ContiguousSink,
    /** The first offset the partition's log still holds. */
    private readonly lowOf: (partition: number) => Promise<bigint>,
  ) {
    this.consumer = kafka.consumer({ ...config, groupId });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const partition of payload.memberAssignment[topic] ?? []) this.seek(partition);
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      // A retriable crash restarts the consumer (and rejoins: see above); any other ends it.
      if (!payload.restart && !this.stopped) this.sink.failed(channelErrorOf(payload.error, `read ${topic}`) as Error);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => this.take(batch.partition, batch.messages.map(storedRecord)),
    });
  }

  pause(partition: number): void {
    this.consumer.pause([{ topic: this.topic, partitions: [partition] }]);
  }

  resume(partition: number): void {
    this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.consumer.disconnect();
  }

  private seek(partition: number): void {
    const next = this.sink.next(partition);
    if (next !== undefined) this.consumer.seek({ topic: this.topic, partition, offset: next.toString() });
  }

  private async take(partition: number, fetched: readonly KafkaStoredRecord[]): Promise<void> {
    const next = this.sink.next(partition);
    if (next === undefined) return;
    let from = fetched.findIndex((r) => r.offset >= next);
    if (from < 0) return; // all seen already
    let end = from;
    while (end < fetched.length && fetched[end]!.offset === next + BigInt(end - from)) end++;
    if (end > from) {
      this.gaps.delete(partition);
      this.sink.append(partition, fetched.slice(from, end));
      if (end === fetched.length) return;
      from = end;
    }
    await this.gap(partition, fetched[from]!.offset);
  }

  /** The batch jumped past the next offset: seek back to it, or report what the log no longer has. */
  private async gap(partition: number, found: bigint): Promise<void> {
    const next = this.sink.next(partition)!;
    const low = await this.lowOf(partition).catch(() => undefined);
    if (low !== undefined && low > next) {
      this.sink.lost(partition, next, low);
    } else {
      const seen = (this.gaps.get(partition) ?? 0) + 1;
      this.gaps.set(partition, seen);
      if (seen > maxGapRetries) {
        this.sink.failed(new ChannelUnavailableError(`${this.topic} partition ${partition} has no record at offset ${next} but one at ${found}: a hole Meshstream does not expect (a compacted or transactional topic?)`));
        return;
      }
    }
    this.seek(partition);
  }
}
