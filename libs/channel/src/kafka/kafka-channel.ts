import { randomUUID } from "node:crypto";
import { toKafkaRecord } from "@meshstream/cloudevents";
import { Kafka, logLevel, Partitioners, type Admin, type KafkaConfig, type Message, type PartitionMetadata } from "kafkajs";
import { ChannelClosedError, ChannelError, ChannelUnavailableError, describePartition } from "../errors";
import type { ChannelStats, OutgoingEvent } from "../event-channel";
import type { IdempotencyWindow } from "../idempotency";
import { LogChannel, nextEvent } from "../log-channel";
import type { StoredRecord } from "../partitioned-log";
import { encodePosition, partitionId, splitPartitionId } from "../position";
import { BrokerAvailability } from "./availability";
import { ProduceQueue, type QueuedCall, type QueuedRecord } from "./produce-queue";
import { ProducerThread } from "./producer-thread";
import { channelErrorOf, kafkaCall } from "./kafka-errors";
import { recordBytes } from "./records";
import { TopicTail } from "./topic-tail";

export interface KafkaChannelOptions {
  readonly brokers: readonly string[];
  /** TLS to the brokers: true (system CAs) or Node's TLS options (ca, cert, key). */
  readonly ssl?: KafkaConfig["ssl"];
  /** SASL authentication to the brokers (PLAIN, SCRAM-SHA-256/512). */
  readonly sasl?: KafkaConfig["sasl"];
  /** Topic of product P is `${topicPrefix}${P}`. */
  readonly topicPrefix?: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** `min.insync.replicas` of the topics the channel creates (the broker's default when absent): with acks=all, how many copies a write needs. */
  readonly minInsyncReplicas?: number;
  /** A publish not acknowledged by then is rejected (the broker may still store it). */
  readonly publishTimeoutMs?: number;
  /** Most events in one produce request. */
  readonly maxBatch?: number;
  /**
   * Most produce requests in flight at once, each through an idempotent
   * producer of its own (kafkajs's holds one request in flight): a publish
   * that comes while one request is out goes at once in another, instead of
   * waiting a round trip for it. Separate calls in flight together have no
   * order between them; a call's own events are stored in order.
   */
  readonly maxInFlight?: number;
  /**
   * How long a produce request started while another is in flight waits
   * for more events from when its oldest was queued (Kafka's `linger.ms`).
   * 0 (the default): never. Batches grow by themselves while requests are in
   * flight, and a wait only slows callers that publish one at a time: with
   * 5 ms, 32 callers each awaiting its publish got 5,000 events/s where
   * they get 13,000–17,000 with none.
   */
  readonly lingerMs?: number;
  /**
   * Most bytes of records in one produce request (one event larger than this
   * goes alone). Kafka refuses a whole record batch over the topic's
   * `max.message.bytes`, which would fail every publish coalesced into it.
   */
  readonly maxBatchBytes?: number;
  /** `max.message.bytes` of the topics the channel creates: room for the largest event the platform accepts. */
  readonly maxRecordBytes?: number;
  /** Records kept per partition in the shared ring... */
  readonly ringCapacity?: number;
  /** ...and at most this many bytes of them. */
  readonly ringBytes?: number;
  /** Records a replay reads ahead of its furthest reader before it pauses. */
  readonly replayBuffer?: number;
  /** Records a replay keeps for readers behind its furthest one (the slowest fall off beyond), and bytes. */
  readonly replayCapacity?: number;
  readonly replayBytes?: number;
  /** How often the broker is probed for readiness (watchAvailability). */
  readonly probeIntervalMs?: number;
  /** How long a tail with no reader is kept, to spare the next reader a group join. */
  readonly tailLingerMs?: number;
  readonly clientId?: string;
  /** How far back a repeated (source, id) is answered with its first position instead of stored again. */
  readonly idempotency?: IdempotencyWindow;
}

/** One publish() call: its positions fill in as its records are acknowledged, possibly over several produce requests. */
interface Call extends QueuedCall {
  readonly positions: string[];
  remaining: number;
  settled: boolean;
  timer?: NodeJS.Timeout;
  resolve(positions: string[]): void;
  reject(err: Error): void;
}

interface Pending extends QueuedRecord {
  readonly topic: string;
  readonly message: Message & { partition: number };
  readonly call: Call;
  readonly index: number;
}

/**
 * The SASL settings as plain data for the producer thread (kafkajs adds
 * functions to the options object it is given, and a thread gets a copy):
 * the password mechanisms the platform offers.
 */
function passwordSasl(sasl: KafkaConfig["sasl"]): KafkaConfig["sasl"] {
  if (!sasl) return undefined;
  if (!["plain", "scram-sha-256", "scram-sha-512"].includes(sasl.mechanism)) throw new ChannelError("invalid_argument", `SASL mechanism ${sasl.mechanism} is not supported: plain, scram-sha-256 or scram-sha-512`);
  const { mechanism, username, password } = sasl as { mechanism: "plain"; username: string; password: string };
  return { mechanism, username, password };
}

/**
 * The channel on Kafka (kafkajs). Events are written in the CloudEvents binary
 * mode to one topic per data product by idempotent producers with acks=all;
 * concurrent publishes share produce requests, several of which may be in
 * flight (see ProduceQueue). Reading goes through one tail
 * consumer per topic per process (see TopicTail) and, for readers behind it,
 * replays shared by readers near each other, behind one PartitionReader per
 * partition that keeps every read gap-free.
 */
export class KafkaChannel extends LogChannel {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: ProducerThread;
  private readonly options: Required<Omit<KafkaChannelOptions, "ssl" | "sasl" | "minInsyncReplicas">> & KafkaChannelOptions;
  private readonly metadata = new Map<string, Promise<PartitionMetadata[]>>();
  /** The same, once known: a publish to known topics queues its records at once, so that calls queue in call order. */
  private readonly knownPartitions = new Map<string, PartitionMetadata[]>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly tails = new Map<string, Promise<TopicTail>>();
  /** The same tails once started, for the synchronous checks of waitForAppend. */
  private readonly settled = new Map<string, TopicTail>();
  private readonly availability: BrokerAvailability;
  private readonly instance = randomUUID().slice(0, 8);
  private readonly queue: ProduceQueue<Pending>;
  private readonly sweeper: NodeJS.Timeout;

  private constructor(options: KafkaChannelOptions) {
    super(options.idempotency);
    this.options = {
      topicPrefix: "meshstream.",
      partitions: 1,
      replicationFactor: 1,
      publishTimeoutMs: 15_000,
      maxBatch: 5000,
      maxInFlight: 3,
      lingerMs: 0,
      maxBatchBytes: 1024 * 1024,
      maxRecordBytes: 4 * 1024 * 1024,
      ringCapacity: 10_000,
      ringBytes: 16 * 1024 * 1024,
      replayBuffer: 256,
      replayCapacity: 8192,
      replayBytes: 4 * 1024 * 1024,
      probeIntervalMs: 1000,
      tailLingerMs: 30_000,
      clientId: "meshstream",
      idempotency: {},
      ...options,
    };
    const client = {
      clientId: this.options.clientId,
      brokers: [...options.brokers],
      ssl: options.ssl,
      sasl: options.sasl,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    };
    const { maxInFlight: lanes, maxBatch, maxBatchBytes, lingerMs } = this.options;
    this.producer = new ProducerThread({ client: { ...client, sasl: passwordSasl(options.sasl) }, lanes });
    this.queue = new ProduceQueue({ lanes, maxBatch, maxBatchBytes, lingerMs }, (lane, batch) => this.send(lane, batch));
    this.kafka = new Kafka({ ...client, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
    this.availability = new BrokerAvailability(options, this.options.clientId, this.options.probeIntervalMs);
    this.sweeper = setInterval(() => this.sweepReplays(), 10_000).unref();
  }

  static async connect(options: KafkaChannelOptions): Promise<KafkaChannel> {
    const channel = new KafkaChannel(options);
    try {
      await channel.admin.connect();
      await channel.producer.connect();
    } catch (err) {
      await channel.close();
      throw new ChannelUnavailableError(`cannot reach Kafka at ${options.brokers.join(",")}: ${String(err)}`, { cause: err });
    }
    return channel;
  }

  // --- EventChannel

  /**
   * Events are queued before anything is awaited (once their topics are
   * known), and go out in queue order; a call's events are stored in its
   * order, separate calls in flight together in any order.
   */
  protected append(events: readonly OutgoingEvent[]): Promise<string[]> {
    if (this.closed) return Promise.reject(new ChannelClosedError());
    if (events.length === 0) return Promise.resolve([]);
    return new Promise<string[]>((resolve, reject) => {
      const call: Call = { positions: new Array<string>(events.length), remaining: events.length, settled: false, requests: 0, resolve, reject };
      call.timer = setTimeout(
        () => this.fail(call, new ChannelUnavailableError(`Kafka did not acknowledge the events within ${this.options.publishTimeoutMs} ms`)),
        this.options.publishTimeoutMs,
      );
      const topics = events.map(({ product }) => this.topic(product));
      if (topics.every((t) => this.knownPartitions.has(t))) {
        this.enqueue(call, events, topics);
        return;
      }
      // The first publish to a topic creates it; calls that come meanwhile wait for the same promise, in order.
      Promise.all(topics.map((t) => this.partitionsOf(t))).then(
        () => this.enqueue(call, events, topics),
        (err: unknown) => this.fail(call, err as Error),
      );
    });
  }

  private enqueue(call: Call, events: readonly OutgoingEvent[], topics: readonly string[]): void {
    if (call.settled) return;
    const records: Pending[] = [];
    for (let i = 0; i < events.length; i++) {
      const topic = topics[i]!;
      const message = toKafkaRecord(events[i]!.event) as Message & { partition: number };
      const partitionMetadata = this.knownPartitions.get(topic)!;
      message.partition = partitionMetadata.length === 1 ? partitionMetadata[0]!.partitionId : this.partitioner({ topic, partitionMetadata, message });
      records.push({ topic, at: performance.now(), bytes: recordBytes(message), message, call, index: i });
    }
    this.queue.push(records);
  }

  private fail(call: Call, err: Error): void {
    if (call.settled) return;
    call.settled = true;
    clearTimeout(call.timer);
    call.reject(err);
  }

  private acknowledge(p: Pending, position: string): void {
    const call = p.call;
    call.positions[p.index] = position;
    if (--call.remaining > 0 || call.settled) return;
    call.settled = true;
    clearTimeout(call.timer);
    call.resolve(call.positions);
  }

  stats(): ChannelStats {
    let replays = 0;
    let buffered = 0;
    for (const t of this.settled.values()) {
      replays += t.replays;
      buffered += t.buffered;
    }
    return { consumers: this.tails.size + replays, subscriptions: this.readers.size, waiters: this.waiters, bufferedRecords: buffered };
  }

  /** Follows a probe of the broker: false while it does not answer. */
  override watchAvailability(listener: (available: boolean) => void): () => void {
    return this.availability.watch(listener);
  }

  /** The tail consumers open now, by topic (for tests and metrics). */
  get tailTopics(): string[] {
    return [...this.tails.keys()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.endReaders();
    clearInterval(this.sweeper);
    for (const p of this.queue.close()) this.fail(p.call, new ChannelClosedError());
    const tails = await Promise.allSettled([...this.tails.values()]);
    this.tails.clear();
    this.settled.clear();
    await Promise.allSettled([
      ...tails.map((t) => (t.status === "fulfilled" ? t.value.stop() : undefined)),
      this.producer.close(),
      this.admin.disconnect(),
      this.availability.stop(),
    ]);
  }

  // --- PartitionedLog

  async partitions(products: readonly string[]): Promise<string[]> {
    const ids = await Promise.all(
      products.map(async (p) => {
        const topic = this.topic(p);
        return (await this.partitionsOf(topic)).map((m) => partitionId(topic, m.partitionId));
      }),
    );
    return ids.flat();
  }

  async retain(partitions: readonly string[]): Promise<() => void> {
    const topics = [...new Set(partitions.map((p) => splitPartitionId(p).topic))];
    const tails = await Promise.all(topics.map((t) => this.tail(t)));
    for (const t of tails) {
      t.refs++;
      clearTimeout(t.lingerTimer);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const t of tails) if (--t.refs === 0) this.linger(t);
    };
  }

  async bounds(partition: string): Promise<{ low: bigint; high: bigint }> {
    const { topic, partition: n } = splitPartitionId(partition);
    const o = (await kafkaCall(`read the offsets of ${topic}`, () => this.admin.fetchTopicOffsets(topic))).find((x) => x.partition === n);
    return { low: BigInt(o?.low ?? 0), high: BigInt(o?.high ?? 0) };
  }

  async offsetForTime(partition: string, time: Date): Promise<bigint> {
    const { topic, partition: n } = splitPartitionId(partition);
    const found = (await kafkaCall(`find offsets by time in ${topic}`, () => this.admin.fetchTopicOffsetsByTimestamp(topic, time.getTime()))).find((x) => x.partition === n);
    const offset = BigInt(found?.offset ?? "-1");
    return offset >= 0n ? offset : (await this.bounds(partition)).high;
  }

  async read(partition: string, from: bigint, max: number, signal: AbortSignal): Promise<StoredRecord[]> {
    return this.reader(partition).read(from, max, signal);
  }

  forget(cursor: ReadonlyMap<string, bigint>): void {
    for (const [partition, offset] of cursor) this.settledReader(partition)?.forget(offset);
  }

  waitForAppend(cursor: ReadonlyMap<string, bigint>, signal: AbortSignal, timeoutMs: number): Promise<void> {
    // A reader behind the ring reads from a replay, which waits by itself; a failed tail has an error to give.
    const ready = [...cursor].some(([p, offset]) => {
      const reader = this.settledReader(p);
      return reader !== undefined && (reader.failure !== undefined || !reader.ring.covers(offset) || reader.ring.end > offset);
    });
    if (ready) return Promise.resolve();
    return nextEvent(this.appended, [...cursor.keys()], signal, timeoutMs);
  }

  // ---

  private topic(product: string): string {
    return `${this.options.topicPrefix}${product}`;
  }

  /** The partition's reader in the tail the caller retained (or its successor, if that one failed). */
  private reader(partition: string) {
    const reader = this.settledReader(partition);
    // A tail is settled from before retain() returns until its last reader has released it.
    if (!reader) throw new ChannelUnavailableError(`no reader of ${describePartition(partition)}: it was released`);
    return reader;
  }

  private settledReader(partition: string) {
    const { topic, partition: n } = splitPartitionId(partition);
    return this.settled.get(topic)?.readers.get(n);
  }

  /** Partitions of a topic, creating the topic the first time it is needed. */
  private partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    let known = this.metadata.get(topic);
    if (!known) {
      known = (async () => {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic,
              numPartitions: this.options.partitions,
              replicationFactor: this.options.replicationFactor,
              configEntries: [
                { name: "max.message.bytes", value: String(this.options.maxRecordBytes) },
                ...(this.options.minInsyncReplicas ? [{ name: "min.insync.replicas", value: String(this.options.minInsyncReplicas) }] : []),
              ],
            },
          ],
        });
        // A topic just created may not be known to the broker we ask yet: ask again for a moment.
        for (let attempt = 1; ; attempt++) {
          try {
            const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
            this.knownPartitions.set(topic, topics[0]!.partitions);
            return topics[0]!.partitions;
          } catch (err) {
            if (attempt >= 10 || this.closed) throw err;
            await new Promise((r) => setTimeout(r, 100 * attempt));
          }
        }
      })();
      this.metadata.set(topic, known);
      known.catch(() => this.metadata.delete(topic));
    }
    return known.catch((err: unknown) => {
      throw channelErrorOf(err, `prepare topic ${topic}`);
    });
  }

  private tail(topic: string): Promise<TopicTail> {
    let tail = this.tails.get(topic);
    if (!tail) {
      const o = this.options;
      tail = TopicTail.start(
        this.kafka,
        this.admin,
        topic,
        {
          capacity: o.ringCapacity,
          maxBytes: o.ringBytes,
          replay: { ahead: o.replayBuffer, capacity: o.replayCapacity, maxBytes: o.replayBytes, consumer: { maxBytes: 512 * 1024 } },
          groupPrefix: `${o.clientId}-${this.instance}-`,
        },
        (p) => this.appended.emit(p),
        (failed) => this.dropTail(failed),
      );
      this.tails.set(topic, tail);
      tail.then(
        (t) => this.settled.set(topic, t),
        () => this.tails.delete(topic),
      );
    }
    return tail;
  }

  /**
   * A tail that failed for good: the next subscription starts a new one; its
   * readers get its error (with their position) until that one has started,
   * then read on through it.
   */
  private dropTail(tail: TopicTail): void {
    if (this.settled.get(tail.topic) === tail) this.tails.delete(tail.topic);
    void tail.stop();
  }

  private linger(tail: TopicTail): void {
    tail.lingerTimer = setTimeout(() => {
      if (tail.refs > 0) return;
      if (this.settled.get(tail.topic) === tail) {
        this.settled.delete(tail.topic);
        // A failed tail is out of `tails` already, where its successor may be starting.
        if (!tail.failure) this.tails.delete(tail.topic);
      }
      void tail.stop();
    }, this.options.tailLingerMs);
    tail.lingerTimer.unref();
  }

  /** Readers gone without a word (a fetch pager that never came back) stop holding their replays after a minute. */
  private sweepReplays(): void {
    for (const t of this.settled.values()) for (const r of t.readers.values()) r.sweep(Date.now() - 60_000);
  }

  /** One produce request through the producer of `lane`; settles its events' calls. */
  private async send(lane: number, batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Pending[]>();
    for (const p of batch) {
      const same = byTopic.get(p.topic);
      if (same) same.push(p);
      else byTopic.set(p.topic, [p]);
    }
    try {
      const stored = await this.producer.send(
        lane,
        [...byTopic].map(([topic, items]) => ({ topic, messages: items.map((i) => i.message) })),
        this.options.publishTimeoutMs,
      );
      // Offsets within one partition of one request are consecutive, in request order.
      const next = new Map(stored.map((m) => [partitionId(m.topicName, m.partition), BigInt(m.baseOffset)]));
      for (const p of batch) {
        const id = partitionId(p.topic, p.message.partition);
        const offset = next.get(id)!;
        next.set(id, offset + 1n);
        this.acknowledge(p, encodePosition(new Map([[id, offset + 1n]])));
      }
    } catch (err) {
      // Whatever Kafka answered, the caller is told the events are not acknowledged.
      const why = err instanceof Error ? err.message : String(err);
      const failure =
        err instanceof ChannelError && err.code !== "unavailable" ? new ChannelError(err.code, `Kafka could not store the events: ${why}`, { cause: err }) : new ChannelUnavailableError(`Kafka did not store the events: ${why}`, { cause: err });
      for (const p of batch) this.fail(p.call, failure);
      this.replaceProducer(lane);
    }
  }

  /**
   * After a failed send, kafkajs hands the failed batch's sequence numbers
   * to the next batch. If the broker did store the failed one (the answer was
   * lost), it takes the next batch — other events — for a retry of it and
   * acknowledges it without storing it: acknowledged events lost (seen with a
   * broker killed under load). A new producer has a new producer id, whose
   * sequences no stored batch can match.
   */
  private replaceProducer(lane: number): void {
    void this.producer.replace(lane).catch(() => undefined);
  }
}
