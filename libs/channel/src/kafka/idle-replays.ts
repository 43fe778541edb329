import type { ReplayReader } from "./replay-reader";

/**
 * Replay consumers not in use, by the position (`partition@offset`) their
 * next read starts from. Readers at the same position are interchangeable,
 * so several can wait under one key: when a burst leaves many subscribers
 * behind the ring at the same offsets, each keeps a consumer instead of
 * taking another's and making it start a new one (a group join each time).
 */
export class IdleReplays {
  private readonly byPosition = new Map<string, ReplayReader[]>();

  /** An idle reader at this position, now in the caller's hands. */
  take(position: string): ReplayReader | undefined {
    const readers = this.byPosition.get(position);
    const reader = readers?.pop();
    if (readers?.length === 0) this.byPosition.delete(position);
    return reader;
  }

  park(position: string, reader: ReplayReader): void {
    const readers = this.byPosition.get(position);
    if (readers) readers.push(reader);
    else this.byPosition.set(position, [reader]);
  }

  /** Takes out every reader not used since `before` (ms since the epoch). */
  takeUnusedSince(before: number): ReplayReader[] {
    const out: ReplayReader[] = [];
    for (const [position, readers] of this.byPosition) {
      const kept = readers.filter((r) => r.lastUsed >= before);
      out.push(...readers.filter((r) => r.lastUsed < before));
      if (kept.length) this.byPosition.set(position, kept);
      else this.byPosition.delete(position);
    }
    return out;
  }

  clear(): void {
    this.byPosition.clear();
  }
}
