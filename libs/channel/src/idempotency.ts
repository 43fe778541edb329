import { ChannelUnavailableError } from "./errors";
import type { OutgoingEvent } from "./event-channel";
import type { PartitionedLog } from "./partitioned-log";
import { encodePosition } from "./position";

/** How far back a publish is recognised as a repeat of an event already stored: whichever bound comes first. */
export interface IdempotencyWindow {
  /** Default 24 h. */
  readonly ms?: number;
  /** Per data product; default 100,000. 0 turns recognition off. */
  readonly events?: number;
}

/**
 * A (source, id) seen: stored in `partition` before `offset` (the position
 * is made again from them when asked: smaller than keeping it), or still
 * being stored (the `index`-th event of the append `pending`).
 */
interface Seen {
  partition?: string;
  offset?: bigint;
  position?: string;
  pending?: Promise<readonly string[]>;
  readonly index: number;
  readonly at: number;
}

const positionOf = (seen: Seen) => seen.position ?? encodePosition(new Map([[seen.partition!, seen.offset!]]));

const keyOf = (o: OutgoingEvent) => `${o.event.source}\u0000${o.event.id}`;

/**
 * Idempotent publish in front of an adapter's append: an event whose
 * (source, id) was stored in its data product within the window is answered
 * with the position it got then, and not stored again. A repeat of an event
 * still being stored waits for that store and shares its outcome (two calls
 * racing with one event store it once; if the store fails, both fail).
 *
 * The window is a Map per product in insertion order, trimmed from its
 * oldest end: a lookup and an insert are O(1). It is rebuilt from the log
 * itself the first time a product is published to after a start (the last
 * `events` records of each partition within `ms`), so it survives a restart
 * with no store of its own: the log is the truth, and what it holds is
 * exactly what was acknowledged.
 */
export class IdempotentAppender {
  private readonly ms: number;
  private readonly max: number;
  private readonly windows = new Map<string, Map<string, Seen>>();
  private readonly loading = new Map<string, Promise<void>>();
  /** The last call still waiting for a window to load: later calls queue behind it, so that calls reach the channel in call order. */
  private gate?: Promise<void>;

  constructor(
    private readonly log: PartitionedLog,
    private readonly append: (events: readonly OutgoingEvent[]) => Promise<string[]>,
    window: IdempotencyWindow = {},
    private readonly signal: AbortSignal,
  ) {
    this.ms = window.ms ?? 24 * 3600_000;
    this.max = window.events ?? 100_000;
  }

  publish(events: readonly OutgoingEvent[]): Promise<string[]> {
    if (this.max === 0 || events.length === 0) return this.append(events);
    // The common case: every window is loaded and nothing queues before this call: decided now, in call order.
    if (!this.gate && events.every((e) => e.newId || this.windows.has(e.product))) return this.admit(events);
    const loads = Promise.all([...new Set(events.filter((e) => !e.newId).map((e) => e.product))].map((p) => this.load(p)));
    let admitted!: Promise<string[]>;
    const turn = (this.gate ?? Promise.resolve())
      .then(() => loads)
      .then(
        () => void (admitted = this.admit(events)),
        (err: unknown) => void (admitted = Promise.reject(err)),
      );
    this.gate = turn;
    void turn.then(() => {
      if (this.gate === turn) this.gate = undefined;
    });
    return turn.then(() => admitted);
  }

  private admit(events: readonly OutgoingEvent[]): Promise<string[]> {
    const now = Date.now();
    const fresh: OutgoingEvent[] = [];
    /** Parallel to `fresh`: each one's window entry (none for an id the platform just made). */
    const entries: (Seen | undefined)[] = [];
    let repeats: (Seen | undefined)[] | undefined;
    /** The windows this call adds to (mostly one). */
    const touched: Map<string, Seen>[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.newId) {
        fresh.push(e);
        entries.push(undefined);
        continue;
      }
      const window = this.windows.get(e.product)!;
      const key = keyOf(e);
      const seen = window.get(key);
      if (seen && now - seen.at <= this.ms) {
        (repeats ??= new Array<Seen | undefined>(events.length))[i] = seen;
        continue;
      }
      if (seen) window.delete(key);
      const entry: Seen = { index: fresh.length, at: now };
      window.set(key, entry);
      if (!touched.includes(window)) touched.push(window);
      fresh.push(e);
      entries.push(entry);
    }
    for (const window of touched) this.trim(window, now);
    const stored = fresh.length > 0 ? this.append(fresh) : Promise.resolve([]);
    for (const entry of entries) if (entry) entry.pending = stored;
    const settled = stored.then(
      (positions) => {
        for (let j = 0; j < entries.length; j++) {
          const entry = entries[j];
          if (!entry) continue;
          entry.position = positions[j];
          entry.pending = undefined;
        }
        return positions;
      },
      (err: unknown) => {
        // Not stored: a retry must store it.
        for (let j = 0; j < fresh.length; j++) {
          if (!entries[j]) continue;
          const window = this.windows.get(fresh[j]!.product);
          const key = keyOf(fresh[j]!);
          if (window && window.get(key) === entries[j]) window.delete(key);
        }
        throw err;
      },
    );
    if (!repeats) return settled;
    const answers = repeats;
    let j = 0;
    return Promise.all(
      events.map((_, i) => {
        const seen = answers[i];
        if (!seen) {
          const mine = j++;
          return settled.then((positions) => positions[mine]!);
        }
        if (!seen.pending) return positionOf(seen);
        return seen.pending.then((positions) => positions[seen.index]!);
      }),
    );
  }

  /** Drops the oldest entries beyond the window (by count, then by age). */
  private trim(window: Map<string, Seen>, now: number): void {
    for (const [key, seen] of window) {
      if (window.size <= this.max && now - seen.at <= this.ms) break;
      window.delete(key);
    }
  }

  private load(product: string): Promise<void> {
    if (this.windows.has(product)) return Promise.resolve();
    let loading = this.loading.get(product);
    if (!loading) {
      loading = this.rebuild(product).finally(() => this.loading.delete(product));
      this.loading.set(product, loading);
    }
    return loading;
  }

  /** The window of a product, from the records its log holds within the window. */
  private async rebuild(product: string): Promise<void> {
    const window = new Map<string, Seen>();
    const partitions = await this.log.partitions([product]);
    const since = new Date(Date.now() - this.ms);
    const now = Date.now();
    const ranges = await Promise.all(
      partitions.map(async (p) => {
        const { low, high } = await this.log.bounds(p);
        if (high <= low) return { p, from: high, high };
        // The count bound shared among partitions: evictions take the oldest first, partition by partition.
        const byCount = high - BigInt(Math.ceil(this.max / partitions.length));
        const byTime = await this.log.offsetForTime(p, since);
        return { p, from: [low, byCount, byTime].reduce((a, b) => (a > b ? a : b)), high };
      }),
    );
    const toRead = ranges.filter((r) => r.from < r.high);
    if (toRead.length > 0) {
      const release = await this.log.retain(toRead.map((r) => r.p));
      try {
        for (const { p, from, high } of toRead) {
          let offset = from;
          const deadline = Date.now() + 60_000;
          while (offset < high) {
            const records = await this.log.read(p, offset, 1024, this.signal);
            for (const r of records) {
              offset = r.offset + 1n;
              const event = r.decode();
              window.set(`${event.source}\u0000${event.id}`, { partition: p, offset, index: 0, at: now });
            }
            if (records.length === 0) {
              if (this.signal.aborted || Date.now() > deadline) throw new ChannelUnavailableError(`could not read back the recent events of ${product} to recognise repeats`);
              await this.log.waitForAppend(new Map([[p, offset]]), this.signal, 1000);
            }
          }
        }
      } finally {
        release();
      }
    }
    this.trim(window, now);
    this.windows.set(product, window);
  }
}
