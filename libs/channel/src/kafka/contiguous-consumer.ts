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
 * A crashed consumer is replaced by a fresh one (see open()) that rejoins
 * the same way.
 *
 * Offsets are dense: Meshstream's topics are written only by its idempotent,
 * non-transactional producer and never compacted. A gap that persists after
 * seeking back would contradict that; it stops the consumer (failed), rather
 * than skip.
 */
export class ContiguousConsumer {
  private consumer?: Consumer;
  private readonly gaps = new Map<number, number>();
  private readonly paused = new Set<number>();
  private generation = 0;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly config: Omit<ConsumerConfig, "groupId">,
    private readonly sink: ContiguousSink,
    /** The first offset the partition's log still holds. */
    private readonly lowOf: (partition: number) => Promise<bigint>,
  ) {}

  /**
   * Resolves once the consumer runs (joined, or, if the join failed, about to
   * be replaced: see the CRASH handler); rejects if it cannot even connect.
   */
  async start(): Promise<void> {
    const consumer = this.open();
    try {
      await consumer.connect();
      // Where kafkajs goes when an offset is out of range (deleted by retention): the earliest, so that the jump is seen at once and reported as lost.
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          if (consumer === this.consumer) await this.take(batch.partition, batch.messages.map(storedRecord));
        },
      });
    } catch (err) {
      if (consumer === this.consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    if (this.stopped) await consumer.disconnect();
    else for (const partition of this.paused) this.apply(partition);
  }

  pause(partition: number): void {
    this.paused.add(partition);
    this.apply(partition);
  }

  resume(partition: number): void {
    this.paused.delete(partition);
    this.apply(partition);
  }

  /** Pauses or resumes a running consumer; one still starting (kafkajs refuses then) gets it once it runs. */
  private apply(partition: number): void {
    const topicPartitions = [{ topic: this.topic, partitions: [partition] }];
    try {
      if (this.paused.has(partition)) this.consumer?.pause(topicPartitions);
      else this.consumer?.resume(topicPartitions);
    } catch {
      // Not running yet: start() applies the paused set after run().
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.consumer?.disconnect();
  }

  /**
   * A consumer in a group of its own, new for every start: kafkajs restarts a
   * crashed consumer in the same group with a new member id, and a broker
   * that comes back after a crash keeps the old member until its session
   * times out (30 s), holding the rejoin that long. A fresh group joins at once.
   */
  private open(): Consumer {
    const consumer = this.kafka.consumer({
      ...this.config,
      groupId: `${this.groupId}-${this.generation++}`,
      retry: { ...this.config.retry, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const partition of payload.memberAssignment[this.topic] ?? []) this.seek(partition);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (consumer !== this.consumer || this.stopped) return;
      if (retriable(payload.error)) this.restartLater(1000);
      else this.sink.failed(channelErrorOf(payload.error, `read ${this.topic}`) as Error);
    });
    return consumer;
  }

  /** Replaces the crashed consumer by a fresh one, trying again while the broker does not answer. */
  private restartLater(delayMs: number): void {
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.start().catch((err: unknown) => {
        if (this.stopped) return;
        if (retriable(err)) this.restartLater(Math.min(delayMs * 2, 5000));
        else this.sink.failed(channelErrorOf(err, `read ${this.topic}`) as Error);
      });
    }, delayMs);
    this.restartTimer.unref();
  }

  private seek(partition: number): void {
    const next = this.sink.next(partition);
    if (next !== undefined) this.consumer?.seek({ topic: this.topic, partition, offset: next.toString() });
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

/** kafkajs's own rule for restarting a crashed consumer: retries ran out, or the root cause is retriable. */
function retriable(err: unknown): boolean {
  let cause = err as { name?: string; retriable?: boolean; cause?: unknown } | undefined;
  if (cause?.name === "KafkaJSNumberOfRetriesExceeded") return true;
  while (cause?.cause) cause = cause.cause as typeof cause;
  return cause?.retriable === true;
}
