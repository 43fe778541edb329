import { randomUUID } from "node:crypto";
import type { Admin, Consumer, Kafka, Producer } from "kafkajs";

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

/** How long a store waits for its compacted topic to be applied up to an offset, and the error it gives when that takes longer. */
interface ReadBack {
  readonly timeoutMs: number;
  timedOut(offset: bigint): Error;
}

/**
 * A store's state as a one-partition compacted topic that every instance
 * applies in memory, in log order, with the same rule (`apply`): the topic is
 * made if absent, records go out through an idempotent producer (acks=all),
 * and a consumer of this instance's own reads them all from the beginning. A
 * writer can wait until its record is applied here (read your write). The
 * catalog and the durable subscriptions keep their state so.
 */
export class CompactedTopicLog {
  private readonly applied = new AppliedOffset();

  private constructor(
    readonly topic: string,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
    private readonly wait: ReadBack,
  ) {}

  /**
   * Resolves once everything written before the start is applied.
   * `wait.groupPrefix` names this instance's reading group (a new one each
   * start: it reads from the beginning); `wait.timeoutMs` and
   * `wait.timedOut` bound every wait for the log to be applied, this one included.
   */
  static async open(
    kafka: Kafka,
    topic: string,
    replication: { replicationFactor?: number; minInsyncReplicas?: number },
    apply: (offset: bigint, key: string, value: Buffer | null) => void,
    wait: ReadBack & { readonly groupPrefix: string },
  ): Promise<CompactedTopicLog> {
    const log = new CompactedTopicLog(
      topic,
      kafka.admin(),
      kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
      // A writer waits to read its own record back: fetches return at once when there is data, and idle ones soon.
      kafka.consumer({ groupId: `${wait.groupPrefix}-${randomUUID()}`, maxWaitTimeInMs: 100 }),
      wait,
    );
    await log.admin.connect();
    await createCompactedTopic(log.admin, topic, replication);
    await log.producer.connect();
    await log.consumer.connect();
    // Another instance starting at the same moment may have just made the topic: its metadata can lag.
    await whileRetriable(() => log.consumer.subscribe({ topic, fromBeginning: true }));
    await log.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const offset = BigInt(message.offset);
        apply(offset, message.key?.toString() ?? "", message.value);
        log.applied.advance(offset);
      },
    });
    await log.caughtUp();
    return log;
  }

  /** Sends one record (a null value: a tombstone); resolves with its offset once the brokers have it. */
  async send(key: string, value: string | null): Promise<bigint> {
    const [meta] = await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key, value }] });
    return BigInt(meta!.baseOffset!);
  }

  /** Resolves once the record at `offset` is applied here; rejects with `timedOut(offset)` after the read-back time-out. */
  appliedUpTo(offset: bigint): Promise<void> {
    return this.applied.reached(offset, this.wait.timeoutMs, () => this.wait.timedOut(offset));
  }

  /** Resolves once everything written before the call, by this instance or any other, is applied here. */
  async caughtUp(): Promise<void> {
    const high = BigInt((await whileRetriable(() => this.admin.fetchTopicOffsets(this.topic)))[0]?.high ?? "0");
    if (high > 0n) await this.appliedUpTo(high - 1n);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect()]);
  }
}
