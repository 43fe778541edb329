import type { KafkaStoredRecord } from "./records";

/**
 * Consecutive records of one partition, [start, end) with no gap, bounded in
 * count and in bytes: the oldest go first. The topic's tail keeps one per
 * partition for every reader in the process; a replay keeps one for the
 * readers behind it. A reader that falls behind `start` reads elsewhere: a
 * slow reader never makes a ring grow.
 */
export class Ring {
  private records: KafkaStoredRecord[] = [];
  private bytes = 0;

  constructor(
    /** Offset of the oldest record held (or of the next one, when empty). */
    public start: bigint,
    private readonly capacity: number,
    private readonly maxBytes: number,
  ) {}

  /** Offset the next record must have. */
  get end(): bigint {
    return this.start + BigInt(this.records.length);
  }

  get size(): number {
    return this.records.length;
  }

  /** How full it is, 0 to 1 and over, by count or bytes, whichever is fuller. */
  get fill(): number {
    return Math.max(this.records.length / this.capacity, this.bytes / this.maxBytes);
  }

  /** Appends records that continue exactly at `end`; anything else is a bug upstream, refused loudly. */
  append(batch: readonly KafkaStoredRecord[]): void {
    batch.forEach((r, i) => {
      if (r.offset !== this.end + BigInt(i)) throw new Error(`ring at ${this.end} refused offset ${r.offset}: a gap or a duplicate`);
    });
    for (const r of batch) {
      this.records.push(r);
      this.bytes += r.bytes;
    }
    let drop = 0;
    while (drop < this.records.length - 1 && (this.records.length - drop > this.capacity || this.bytes > this.maxBytes)) this.bytes -= this.records[drop++]!.bytes;
    this.dropFirst(drop);
  }

  /** Drops the records before `offset` (no reader needs them). */
  dropBefore(offset: bigint): void {
    const drop = Number(offset - this.start);
    if (drop <= 0) return;
    for (let i = 0; i < Math.min(drop, this.records.length); i++) this.bytes -= this.records[i]!.bytes;
    this.dropFirst(Math.min(drop, this.records.length));
  }

  /** Empties the ring to go on from `offset` (the log lost what lay between). */
  restartAt(offset: bigint): void {
    this.records = [];
    this.bytes = 0;
    this.start = offset;
  }

  covers(offset: bigint): boolean {
    return offset >= this.start;
  }

  /**
   * Whether a reader at `offset` can leave a replay for this ring without
   * falling off it again at once: it is past the oldest quarter of the ring,
   * or the ring is far from full. Without this margin, a reader just behind a
   * full ring would start a new replay on every read.
   */
  holds(offset: bigint): boolean {
    if (!this.covers(offset)) return false;
    if (this.fill < 0.75) return true;
    return offset >= this.start + BigInt(Math.floor(this.records.length / 4));
  }

  /** Up to `max` records from `from` on: consecutive, the first at `from` (none when `from` is at or past the end). */
  read(from: bigint, max: number): KafkaStoredRecord[] {
    const at = Number(from - this.start);
    return at < 0 ? [] : this.records.slice(at, at + max);
  }

  private dropFirst(count: number): void {
    if (count <= 0) return;
    this.records.splice(0, count);
    this.start += BigInt(count);
  }
}
