import type { Admin } from "kafkajs";

/**
 * Calls `call` again while Kafka answers an error kafkajs marks retriable but
 * does not retry itself: a topic just made can be unknown to a broker's
 * metadata for a moment, a restarted broker may not lead its partitions yet.
 */
export async function whileRetriable<T>(call: () => Promise<T>, forMs = 30_000): Promise<T> {
  const deadline = Date.now() + forMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Creates, if absent, the one-partition compacted topic a store keeps its
 * state in (the catalog, the durable subscriptions), replicated as asked.
 */
export function createCompactedTopic(admin: Admin, topic: string, replication: { replicationFactor?: number; minInsyncReplicas?: number }): Promise<boolean> {
  return whileRetriable(() =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: replication.replicationFactor ?? 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            ...(replication.minInsyncReplicas ? [{ name: "min.insync.replicas", value: String(replication.minInsyncReplicas) }] : []),
          ],
        },
      ],
    }),
  );
}

/**
 * How far a store has applied its compacted topic, and the writes waiting to
 * read their own record back: a store answers a write once it has applied it,
 * so that what it answers is what every instance reads.
 */
export class AppliedOffset {
  private applied = -1n;
  private waiters: { readonly offset: bigint; resolve(): void }[] = [];

  /** The store applied the record at `offset` (and all before it). */
  advance(offset: bigint): void {
    this.applied = offset;
    const due = this.waiters.filter((w) => w.offset <= offset);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.offset > offset);
    for (const w of due) w.resolve();
  }

  /** Resolves once the record at `offset` is applied; rejects with `timedOut()` after `timeoutMs`. */
  reached(offset: bigint, timeoutMs: number, timedOut: () => Error): Promise<void> {
    if (this.applied >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(timedOut());
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
