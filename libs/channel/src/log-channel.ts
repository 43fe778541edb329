import { EventEmitter, setMaxListeners } from "node:events";
import { ChannelClosedError } from "./errors";
import type { ChannelFilter, ChannelStats, Delivery, EventChannel, FetchPage, OutgoingEvent, StartPosition, SubscribeOptions } from "./event-channel";
import { IdempotentAppender, type IdempotencyWindow } from "./idempotency";
import { fetchLog, guarded, startCursor, subscribeLog } from "./log-reader";
import type { PartitionedLog, StoredRecord } from "./partitioned-log";
import { encodePosition } from "./position";

/**
 * What both adapters share: subscriptions and fetches run by the log reader
 * over the adapter's PartitionedLog, counted while they run, ended on close.
 */
export abstract class LogChannel implements EventChannel, PartitionedLog {
  protected readonly readers = new Set<AbortController>();
  /** Emits a partition (Kafka) or product (embedded) name when records are appended to it. */
  protected readonly appended = new EventEmitter().setMaxListeners(0);
  protected closed = false;
  private readonly closing = new AbortController();
  private readonly idempotent: IdempotentAppender;

  constructor(window?: IdempotencyWindow) {
    // Every read of a window being rebuilt waits on it, several products at once after a restart.
    setMaxListeners(0, this.closing.signal);
    this.idempotent = new IdempotentAppender(this, (events) => this.append(events), window, this.closing.signal);
  }

  /**
   * Stores events (see EventChannel.publish). An event whose (source, id)
   * was stored in its product within the idempotency window is answered with
   * its first position and not stored again (see IdempotentAppender).
   */
  publish(events: readonly OutgoingEvent[]): Promise<string[]> {
    if (this.closed) return Promise.reject(new ChannelClosedError());
    return this.idempotent.publish(events);
  }

  /** Stores events as given, one position per event, in order, once durable (see EventChannel.publish). */
  protected abstract append(events: readonly OutgoingEvent[]): Promise<string[]>;
  abstract stats(): ChannelStats;
  abstract close(): Promise<void>;
  abstract partitions(products: readonly string[]): Promise<string[]>;
  abstract retain(partitions: readonly string[]): Promise<() => void>;
  abstract bounds(partition: string): Promise<{ low: bigint; high: bigint }>;
  abstract offsetForTime(partition: string, time: Date): Promise<bigint>;
  abstract read(partition: string, from: bigint, max: number, signal: AbortSignal): Promise<StoredRecord[]>;
  abstract forget(cursor: ReadonlyMap<string, bigint>): void;
  abstract waitForAppend(cursor: ReadonlyMap<string, bigint>, signal: AbortSignal, timeoutMs: number): Promise<void>;

  subscribe(filter: ChannelFilter, start: StartPosition, options: SubscribeOptions = {}): AsyncIterable<Delivery> {
    if (this.closed) throw new ChannelClosedError();
    return { [Symbol.asyncIterator]: () => subscribeLog(this, filter, start, this.readers, options.signal, options.onReady) };
  }

  async fetch(filter: ChannelFilter, cursor: string | undefined, max: number, waitMs: number, signal?: AbortSignal): Promise<FetchPage> {
    if (this.closed) throw new ChannelClosedError();
    // Counted and ended on close like a subscription, so a long poll never outlives the channel.
    return guarded(this.readers, signal, (s) => fetchLog(this, filter, cursor, max, waitMs, s));
  }

  async resolveStart(filter: ChannelFilter, start: StartPosition): Promise<string> {
    if (this.closed) throw new ChannelClosedError();
    return encodePosition(await startCursor(this, await this.partitions(filter.products), start));
  }

  /** Always available while open (a local log); an adapter with a broker follows it. */
  watchAvailability(listener: (available: boolean) => void): () => void {
    listener(!this.closed);
    return () => undefined;
  }

  protected get waiters(): number {
    return this.appended.eventNames().reduce((n, name) => n + this.appended.listenerCount(name), 0);
  }

  protected endReaders(): void {
    this.closed = true;
    this.closing.abort();
    for (const r of this.readers) r.abort();
  }
}

/** Resolves on the first of these emitter events, on abort, or after `timeoutMs`; leaves no listener behind. */
export function nextEvent(emitter: EventEmitter, names: readonly string[], signal: AbortSignal, timeoutMs: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const n of names) emitter.off(n, done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    for (const n of names) emitter.on(n, done);
    signal.addEventListener("abort", done, { once: true });
  });
}
