import type { PartitionProgress } from "./model";

/**
 * The acknowledgement state of one partition while a subscription runs:
 * every offset below `next` is settled; above it, the events read and not
 * yet settled (with their delivery counts) and those settled out of order.
 * An offset read past is settled unless it is outstanding: the channel only
 * gives the events the filter matches, so the others need no acknowledgement.
 */
export class PartitionWindow {
  private nextOffset: bigint;
  private readonly settledAbove = new Set<bigint>();
  private readonly outstanding = new Map<bigint, number>();
  /** The offset after the last event read. */
  private readEnd: bigint;

  constructor(stored?: PartitionProgress) {
    this.nextOffset = BigInt(stored?.next ?? "0");
    this.readEnd = this.nextOffset;
    for (const [from, to] of stored?.settled ?? []) for (let o = BigInt(from); o <= BigInt(to); o++) this.settledAbove.add(o);
    // Delivery counts of events read before a restart: they count on when the events are read again.
    this.storedAttempts = new Map(Object.entries(stored?.attempts ?? {}).map(([o, n]) => [BigInt(o), n]));
  }

  private readonly storedAttempts: Map<bigint, number>;

  get next(): bigint {
    return this.nextOffset;
  }

  /** Events read and not settled, plus those settled out of order: how far the window spans. */
  get span(): number {
    return this.outstanding.size + this.settledAbove.size;
  }

  /**
   * An event read from the channel: false when it was settled before (read
   * again after a restart), else its delivery count so far.
   */
  read(offset: bigint): number | false {
    if (offset < this.nextOffset || this.settledAbove.has(offset)) return false;
    if (this.outstanding.size === 0 && this.settledAbove.size === 0) this.nextOffset = offset;
    this.readEnd = offset + 1n;
    const attempts = this.storedAttempts.get(offset) ?? 0;
    this.storedAttempts.delete(offset);
    this.outstanding.set(offset, attempts);
    return attempts;
  }

  delivered(offset: bigint): void {
    const n = this.outstanding.get(offset);
    if (n !== undefined) this.outstanding.set(offset, n + 1);
  }

  /** True when the offset was outstanding (the first settlement of it). */
  settle(offset: bigint): boolean {
    if (!this.outstanding.delete(offset)) return false;
    this.settledAbove.add(offset);
    this.advance();
    return true;
  }

  isOutstanding(offset: bigint): boolean {
    return this.outstanding.has(offset);
  }

  snapshot(): PartitionProgress {
    const settled: [string, string][] = [];
    for (const o of [...this.settledAbove].sort((a, b) => (a < b ? -1 : 1))) {
      const last = settled.at(-1);
      if (last && BigInt(last[1]) + 1n === o) last[1] = o.toString();
      else settled.push([o.toString(), o.toString()]);
    }
    const attempts: Record<string, number> = {};
    for (const [o, n] of this.outstanding) if (n > 0) attempts[o.toString()] = n;
    return { next: this.nextOffset.toString(), settled, attempts };
  }

  /** Where a reader goes on after what was read (outstanding events are held in memory). */
  get resumeAt(): bigint {
    return this.readEnd;
  }

  private advance(): void {
    // Offsets are read in increasing order, and a Map keeps insertion order: the first is the lowest.
    const lowest = this.outstanding.keys().next();
    const next = lowest.done ? this.readEnd : lowest.value;
    if (next === this.nextOffset) return;
    this.nextOffset = next;
    for (const o of this.settledAbove) if (o < next) this.settledAbove.delete(o);
  }
}
