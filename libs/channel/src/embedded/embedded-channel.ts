import { join } from "node:path";
import { decodeEvent, encodeEvent } from "@meshstream/cloudevents";
import { open, type Database, type RootDatabase } from "lmdb";
import { ChannelClosedError, ChannelUnavailableError } from "../errors";
import type { ChannelStats, OutgoingEvent } from "../event-channel";
import type { IdempotencyWindow } from "../idempotency";
import { LogChannel, nextEvent } from "../log-channel";
import type { StoredRecord } from "../partitioned-log";
import { encodePosition, partitionId, splitPartitionId } from "../position";

type Key = [string, number];

/**
 * The channel on local disk, for a platform with no broker: one append-only
 * log per data product in LMDB, keyed (product, offset). LMDB commits are
 * synchronous by default (fsync on commit), and puts made in the same tick
 * share one commit, so a batch costs one fsync; publish resolves after it.
 * Records never change once written: LMDB's copy-on-write tree cannot leave a
 * torn record behind a crash.
 */
export class EmbeddedChannel extends LogChannel {
  private readonly next = new Map<string, number>();
  /** Per product, the offset after the last committed record: what readers may see. */
  private readonly committed = new Map<string, number>();
  private lastTime = 0;

  private constructor(
    private readonly env: RootDatabase,
    private readonly records: Database<Buffer, Key>,
    idempotency?: IdempotencyWindow,
  ) {
    super(idempotency);
  }

  static open(dataDir: string, options: { idempotency?: IdempotencyWindow } = {}): EmbeddedChannel {
    const env = open({ path: join(dataDir, "channel"), maxDbs: 4 });
    const records = env.openDB<Buffer, Key>({ name: "records", encoding: "binary", keyEncoding: "ordered-binary" });
    return new EmbeddedChannel(env, records, options.idempotency);
  }

  // --- EventChannel

  protected async append(events: readonly OutgoingEvent[]): Promise<string[]> {
    if (this.closed) throw new ChannelClosedError();
    const now = (this.lastTime = Math.max(this.lastTime, Date.now()));
    const writes = events.map(({ product, event }) => {
      const offset = this.nextOffset(product);
      const header = Buffer.from(JSON.stringify({ t: event.type, s: event.source, ts: now }));
      const value = Buffer.concat([u32(header.length), header, encodeEvent(event)]);
      return { product, offset, done: this.records.put([product, offset], value) };
    });
    try {
      await Promise.all(writes.map((w) => w.done));
    } catch (err) {
      throw new ChannelUnavailableError(`the embedded log could not store the events: ${String(err)}`, { cause: err });
    }
    for (const w of writes) this.committed.set(w.product, Math.max(this.committedOffset(w.product), w.offset + 1));
    for (const product of new Set(events.map((e) => e.product))) this.appended.emit(product);
    return writes.map((w) => encodePosition(new Map([[partitionId(w.product, 0), BigInt(w.offset + 1)]])));
  }

  stats(): ChannelStats {
    return { consumers: this.readers.size, subscriptions: this.readers.size, waiters: this.waiters, bufferedRecords: 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.endReaders();
    await this.env.close();
  }

  // --- PartitionedLog

  async partitions(products: readonly string[]): Promise<string[]> {
    return products.map((p) => partitionId(p, 0));
  }

  async retain(): Promise<() => void> {
    return () => undefined;
  }

  async bounds(partition: string): Promise<{ low: bigint; high: bigint }> {
    const { topic } = splitPartitionId(partition);
    return { low: 0n, high: BigInt(this.committedOffset(topic)) };
  }

  async offsetForTime(partition: string, time: Date): Promise<bigint> {
    const { topic } = splitPartitionId(partition);
    // Append times only grow: binary search on offsets.
    let lo = 0;
    let hi = this.committedOffset(topic);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const value = this.records.get([topic, mid]);
      if (value && header(value).ts < time.getTime()) lo = mid + 1;
      else hi = mid;
    }
    return BigInt(lo);
  }

  async read(partition: string, from: bigint, max: number): Promise<StoredRecord[]> {
    const { topic } = splitPartitionId(partition);
    const out: StoredRecord[] = [];
    for (const { key, value } of this.records.getRange({ start: [topic, Number(from)], end: [topic, Number.MAX_SAFE_INTEGER], limit: max })) {
      const h = header(value);
      const body = value.subarray(4 + value.readUInt32BE(0));
      out.push({ offset: BigInt(key[1]), type: h.t, source: h.s, decode: () => decodeEvent(body) });
    }
    return out;
  }

  forget(): void {
    // Nothing is kept per reader: LMDB reads from any offset.
  }

  waitForAppend(cursor: ReadonlyMap<string, bigint>, signal: AbortSignal, timeoutMs: number): Promise<void> {
    const products = [...cursor.keys()].map((p) => splitPartitionId(p).topic);
    // Committed, not merely numbered: a reader woken before the commit would find nothing and spin.
    if (products.some((p) => BigInt(this.committedOffset(p)) > cursor.get(partitionId(p, 0))!)) return Promise.resolve();
    return nextEvent(this.appended, products, signal, timeoutMs);
  }

  // ---

  private committedOffset(product: string): number {
    if (!this.committed.has(product)) this.nextOffset(product, false);
    return this.committed.get(product)!;
  }

  private nextOffset(product: string, take = true): number {
    let next = this.next.get(product);
    if (next === undefined) {
      next = 0;
      for (const last of this.records.getKeys({ start: [product, Number.MAX_SAFE_INTEGER], end: [product, -1], reverse: true, limit: 1 })) {
        next = last[1] + 1;
      }
      this.committed.set(product, next);
    }
    this.next.set(product, take ? next + 1 : next);
    return next;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function header(value: Buffer): { t: string; s: string; ts: number } {
  return JSON.parse(value.subarray(4, 4 + value.readUInt32BE(0)).toString("utf8")) as { t: string; s: string; ts: number };
}
