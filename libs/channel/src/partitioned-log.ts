import type { CloudEvent } from "@meshstream/cloudevents";

/** One stored record, with what filtering needs readable before any decoding. */
export interface StoredRecord {
  readonly offset: bigint;
  readonly type: string | undefined;
  readonly source: string | undefined;
  decode(): CloudEvent;
}

/**
 * What an adapter provides so that one reader (log-reader.ts) serves
 * subscriptions and fetches the same way over every adapter: partitions of
 * append-only logs, readable from any offset.
 */
export interface PartitionedLog {
  /** Partition ids of these products' logs (created when missing). */
  partitions(products: readonly string[]): Promise<string[]>;
  /** Keeps what reading these partitions needs (a shared consumer) until the returned function is called. */
  retain(partitions: readonly string[]): Promise<() => void>;
  /** Earliest offset still stored, and the offset the next record will get. */
  bounds(partition: string): Promise<{ low: bigint; high: bigint }>;
  /** Offset of the first record stored at or after this time (or `high`). */
  offsetForTime(partition: string, time: Date): Promise<bigint>;
  /**
   * Up to `max` records from `from` on: the first at `from`, each next at the
   * next offset (offsets are dense), fewer or none when that is all there is
   * for now. Waits only for records known to exist. What it cannot give
   * without a gap it refuses: EventsExpiredError when the log no longer holds
   * `from`, ChannelUnavailableError when it cannot read now. The reader
   * advances its cursor past every record given, so a gap here would be a
   * silent skip.
   */
  read(partition: string, from: bigint, max: number, signal: AbortSignal): Promise<StoredRecord[]>;
  /** A reader at this cursor has ended: what was kept for it to continue from there can go. */
  forget(cursor: ReadonlyMap<string, bigint>): void;
  /** Resolves when a record is appended beyond the cursor in one of its partitions, on abort, or after `timeoutMs`. */
  waitForAppend(cursor: ReadonlyMap<string, bigint>, signal: AbortSignal, timeoutMs: number): Promise<void>;
}
