import { EventEmitter } from "node:events";
import type { Kafka } from "kafkajs";
import { ChannelUnavailableError, EventsExpiredError } from "../errors";
import { nextEvent } from "../log-channel";
import { ContiguousConsumer } from "./contiguous-consumer";
import { kafkaCall } from "./kafka-errors";
import type { KafkaStoredRecord } from "./records";
import { Ring } from "./ring";

export interface ReplayOptions {
  /** Records read ahead of the furthest reader before the consumer pauses. */
  readonly ahead: number;
  /** Bounds of what the replay holds for its readers (the slowest fall off beyond them). */
  readonly capacity: number;
  readonly maxBytes: number;
  readonly consumer: { readonly maxBytes: number };
}

/**
 * One partition read from an offset the tail's ring does not hold, shared by
 * every reader behind the ring near that offset: a consumer of its own fills
 * a ring the readers read. It reads at most `ahead` records beyond its
 * furthest reader, then pauses; its ring keeps little behind its slowest
 * reader and at most `capacity` records, so a reader left far behind the
 * others falls off (and reads through a replay nearer to it). Memory is
 * bounded however slow its readers are.
 */
export class Replay {
  readonly ring: Ring;
  private readonly consumer: ContiguousConsumer;
  private readonly arrived = new EventEmitter().setMaxListeners(0);
  /** Where its readers read next: offset → how many readers, and when one last read. */
  private readonly readers = new Map<bigint, { count: number; at: number }>();
  private readonly started: Promise<void>;
  private paused = false;
  private failure?: Error;
  /** The log lost [from, to) under this replay: a reader there cannot go on without a gap. */
  private expired?: { from: bigint; to: bigint };

  constructor(
    kafka: Kafka,
    readonly topic: string,
    readonly partition: number,
    /** The partition's id in positions. */
    readonly id: string,
    from: bigint,
    private readonly options: ReplayOptions,
    groupId: string,
    lowOf: () => Promise<bigint>,
  ) {
    this.ring = new Ring(from, options.capacity, options.maxBytes);
    // A fetched batch is kept whole, so the fetch size also bounds what a replay holds past its bounds.
    // 512 KiB: a single replay ran at 0.26 of a raw consumer's speed (1 MiB, kafkajs's default: 0.28; 256 KiB: 0.18),
    // measured against the subscribe bench's earlier baseline, which counted the raw consumer's group join.
    this.consumer = new ContiguousConsumer(
      kafka,
      topic,
      groupId,
      { maxWaitTimeInMs: 100, maxBytesPerPartition: options.consumer.maxBytes, maxBytes: options.consumer.maxBytes, retry: { retries: 10 } },
      {
        next: (p) => (p === partition && !this.expired && !this.failure ? this.ring.end : undefined),
        append: (_p, records) => {
          this.ring.append(records);
          this.pace();
          this.arrived.emit("data");
        },
        lost: (_p, lostFrom, to) => {
          this.expired = { from: lostFrom, to };
          this.arrived.emit("data");
        },
        failed: (err) => this.fail(err),
      },
      lowOf,
    );
    this.started = kafkaCall(`replay ${topic} partition ${partition}`, () => this.consumer.start()).catch((err: unknown) => this.fail(err as Error));
  }

  /**
   * Whether a reader at `from` can read through this replay: what it holds,
   * or what it will read soon (not after it stopped reading).
   */
  serves(from: bigint): boolean {
    if (from < this.ring.start) return false;
    if (from < this.ring.end) return true;
    return !this.failure && !this.expired && from <= this.ring.end + BigInt(this.options.capacity >> 1);
  }

  /** Whether a reader of this replay is at `offset`. */
  has(offset: bigint): boolean {
    return this.readers.has(offset);
  }

  get idle(): boolean {
    return this.readers.size === 0;
  }

  get buffered(): number {
    return this.ring.size;
  }

  /** A reader at `from` reads through this replay from now on. */
  join(from: bigint): void {
    const at = this.readers.get(from);
    if (at) at.count++;
    else this.readers.set(from, { count: 1, at: Date.now() });
    this.pace();
  }

  /**
   * Up to `max` records from `from` on, consecutive, for a reader that
   * joined; waits up to `waitMs` for the first when the replay has not read
   * that far yet (none then).
   */
  async read(from: bigint, max: number, waitMs: number, signal: AbortSignal): Promise<KafkaStoredRecord[]> {
    const at = this.readers.get(from);
    if (at) at.at = Date.now();
    else this.join(from);
    await this.started;
    if (from >= this.ring.end && !this.expired && !this.failure) await nextEvent(this.arrived, ["data"], signal, waitMs);
    // Past what it holds, after it stopped reading: the reader must be told (it leaves; see PartitionReader).
    if (from >= this.ring.end) {
      if (this.expired && from < this.expired.to) throw new EventsExpiredError(this.id, from, this.expired.to);
      if (this.failure) throw this.failure;
    }
    const records = this.ring.read(from, max);
    if (records.length) this.move(from, records[records.length - 1]!.offset + 1n);
    this.trim();
    this.pace();
    return records;
  }

  /** A reader at `offset` reads elsewhere now (or has ended). */
  leave(offset: bigint): void {
    const at = this.readers.get(offset);
    if (!at) return;
    if (--at.count === 0) this.readers.delete(offset);
    this.trim();
    this.pace();
  }

  /** Forgets readers that have not read since `before` (a fetch pager that never came back). */
  dropReadersUnusedSince(before: number): void {
    for (const [offset, at] of this.readers) if (at.at < before) this.readers.delete(offset);
    this.trim();
  }

  stop(): Promise<void> {
    this.fail(new ChannelUnavailableError(`the replay of ${this.topic} partition ${this.partition} was stopped`));
    return this.consumer.stop();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.arrived.emit("data");
  }

  /** One reader moves from `from` to `to`. */
  private move(from: bigint, to: bigint): void {
    const at = this.readers.get(from);
    if (at && --at.count === 0) this.readers.delete(from);
    const there = this.readers.get(to);
    if (there) {
      there.count++;
      there.at = Date.now();
    } else this.readers.set(to, { count: 1, at: Date.now() });
  }

  /**
   * At most a quarter of its capacity is kept behind the slowest reader:
   * readers that come a little later to about the same offset (a hundred
   * subscriptions from the earliest, opened over a second or two) join this
   * replay instead of each opening one.
   */
  private trim(): void {
    let slowest: bigint | undefined;
    for (const offset of this.readers.keys()) if (slowest === undefined || offset < slowest) slowest = offset;
    this.ring.dropBefore((slowest ?? this.ring.end) - BigInt(this.options.capacity >> 2));
  }

  /** Reads while the furthest reader has fewer than `ahead` records in front of it. */
  private pace(): void {
    let furthest = this.ring.start;
    for (const offset of this.readers.keys()) if (offset > furthest) furthest = offset;
    const enough = this.ring.end - furthest >= BigInt(this.options.ahead);
    if (enough === this.paused || this.failure) return;
    this.paused = enough;
    if (enough) this.consumer.pause(this.partition);
    else this.consumer.resume(this.partition);
  }
}
