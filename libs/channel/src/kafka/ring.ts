import type { KafkaStoredRecord } from "./records";

/**
 * The most recent records of one partition, shared by every reader in the
 * process, bounded in count and in bytes. Readers that fall behind its start
 * read through a replay consumer instead: a slow reader never makes the ring
 * grow.
 */
export class Ring {
  private records: KafkaStoredRecord[] = [];
  private bytes = 0;

  constructor(
    /** Offset from which the ring holds every record (older ones were dropped or never read). */
    public start: bigint,
    private readonly capacity: number,
    private readonly maxBytes: number,
  ) {}

  /** Offset the next record will have, as far as the ring knows. */
  get end(): bigint {
    return this.records.length ? this.records[this.records.length - 1]!.offset + 1n : this.start;
  }

  get size(): number {
    return this.records.length;
  }

  append(batch: readonly KafkaStoredRecord[]): boolean {
    let added = false;
    for (const r of batch) {
      if (r.offset < this.end) continue; // seen already (a re-delivery after seek)
      this.records.push(r);
      this.bytes += r.bytes;
      added = true;
    }
    let drop = 0;
    while (drop < this.records.length - 1 && (this.records.length - drop > this.capacity || this.bytes > this.maxBytes)) this.bytes -= this.records[drop++]!.bytes;
    if (drop > 0) {
      this.records.splice(0, drop);
      this.start = this.records[0]!.offset;
    }
    return added;
  }

  covers(offset: bigint): boolean {
    return offset >= this.start;
  }

  /**
   * Whether a reader at `offset` can leave its replay consumer for the ring
   * without falling off it again at once: it is past the oldest quarter of
   * the ring, or the ring is far from full. Without this margin, a reader
   * just behind a full ring would start a new consumer on every read.
   */
  holds(offset: bigint): boolean {
    if (!this.covers(offset)) return false;
    const full = Math.max(this.records.length / this.capacity, this.bytes / this.maxBytes);
    if (full < 0.75) return true;
    const oldestQuarter = this.records[Math.floor(this.records.length / 4)];
    return oldestQuarter === undefined || offset >= oldestQuarter.offset;
  }

  /** Records from `from` on (offsets need not be contiguous). */
  read(from: bigint, max: number): KafkaStoredRecord[] {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.records[mid]!.offset < from) lo = mid + 1;
      else hi = mid;
    }
    return this.records.slice(lo, lo + max);
  }
}
