import { EventsExpiredError } from "../errors";
import type { KafkaStoredRecord } from "./records";
import type { Replay } from "./replay";
import { Ring } from "./ring";

/** How long a replay's reader may wait for its next record in one read. */
const replayWaitMs = 5000;

/**
 * Everything that reads one partition in this process, behind one `read`:
 * the tail's ring (the newest records, shared by every reader) and the
 * replays of readers behind it (shared by readers near each other). It owns
 * the invariants of every read path — per partition, records from exactly
 * the offset asked, consecutive, in offset order; what it cannot give
 * without a gap it refuses with an error (EventsExpiredError when the log no
 * longer holds it) — so that the log reader, which advances its cursor past
 * what it was given, never skips and never repeats.
 */
export class PartitionReader {
  private readonly replays = new Set<Replay>();
  /** Set when the tail stopped for good: readers end, and the next ones start a new tail. */
  failure?: Error;

  constructor(
    /** The partition's id in positions. */
    readonly id: string,
    readonly ring: Ring,
    private readonly openReplay: (from: bigint) => Replay,
    /** The first offset the log still holds. */
    private readonly lowOf: () => Promise<bigint>,
  ) {}

  async read(from: bigint, max: number, signal: AbortSignal): Promise<KafkaStoredRecord[]> {
    if (this.failure) throw this.failure;
    let replay = this.replayOf(from);
    // A reader leaves its replay for the ring once well inside the ring, or when the replay left it behind.
    if (replay && (this.ring.holds(from) || !replay.serves(from))) {
      this.leave(replay, from);
      replay = undefined;
    }
    if (!replay) {
      if (this.ring.covers(from)) return this.ring.read(from, max);
      replay = await this.replayFor(from);
    }
    try {
      return await replay.read(from, max, replayWaitMs, signal);
    } catch (err) {
      // It has stopped reading (failed, or the log lost what comes next) and has told this reader: it leaves.
      this.leave(replay, from);
      throw err;
    }
  }

  /** A reader at `offset` has ended. */
  forget(offset: bigint): void {
    const replay = this.replayOf(offset);
    if (replay) this.leave(replay, offset);
  }

  /** Forgets readers idle since `before` and stops the replays left without readers. */
  sweep(before: number): void {
    for (const replay of this.replays) {
      replay.dropReadersUnusedSince(before);
      if (replay.idle) this.stop(replay);
    }
  }

  get replayCount(): number {
    return this.replays.size;
  }

  get buffered(): number {
    let n = this.ring.size;
    for (const r of this.replays) n += r.buffered;
    return n;
  }

  close(): Promise<unknown> {
    return Promise.allSettled([...this.replays].map((r) => this.stop(r)));
  }

  private replayOf(offset: bigint): Replay | undefined {
    for (const r of this.replays) if (r.has(offset)) return r;
    return undefined;
  }

  /** A replay that serves `from` (joined), or a new one there once the log is known to still hold it. */
  private async replayFor(from: bigint): Promise<Replay> {
    let replay = this.serving(from);
    if (!replay) {
      const low = await this.lowOf();
      if (from < low) throw new EventsExpiredError(this.id, from, low);
      // Another reader may have opened one meanwhile.
      replay = this.serving(from);
      if (!replay) {
        replay = this.openReplay(from);
        this.replays.add(replay);
      }
    }
    replay.join(from);
    return replay;
  }

  /** Of the replays that serve `from`, the one whose records already reach it, else the nearest behind it. */
  private serving(from: bigint): Replay | undefined {
    let best: Replay | undefined;
    for (const r of this.replays) {
      if (!r.serves(from)) continue;
      if (from < r.ring.end) return r;
      if (!best || r.ring.end > best.ring.end) best = r;
    }
    return best;
  }

  private leave(replay: Replay, offset: bigint): void {
    replay.leave(offset);
    if (replay.idle) void this.stop(replay);
  }

  private stop(replay: Replay): Promise<void> {
    this.replays.delete(replay);
    return replay.stop();
  }
}
