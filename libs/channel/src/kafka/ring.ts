import type { StoredRecord } from "../partitioned-log";

/**
 * The most recent records of one partition, shared by every reader in the
 * process, bounded in count. Readers that fall behind its start read through
 * a replay consumer instead: a slow reader never makes the ring grow.
 */
export class Ring {
  private records: StoredRecord[] = [];

  constructor(
    /** Offset from which the ring holds every record (older ones were dropped or never read). */
    public start: bigint,
    private readonly capacity: number,
  ) {}

  /** Offset the next record will have, as far as the ring knows. */
  get end(): bigint {
    return this.records.length ? this.records[this.records.length - 1]!.offset + 1n : this.start;
  }

  get size(): number {
    return this.records.length;
  }

  append(batch: readonly StoredRecord[]): boolean {
    let added = false;
    for (const r of batch) {
      if (r.offset < this.end) continue; // seen already (a re-delivery after seek)
      this.records.push(r);
      added = true;
    }
    const excess = this.records.length - this.capacity;
    if (excess > 0) {
      this.records.splice(0, excess);
      this.start = this.records[0]!.offset;
    }
    return added;
  }

  covers(offset: bigint): boolean {
    return offset >= this.start;
  }

  /** Records from `from` on (offsets need not be contiguous). */
  read(from: bigint, max: number): StoredRecord[] {
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
