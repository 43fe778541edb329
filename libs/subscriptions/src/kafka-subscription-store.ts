import { randomUUID } from "node:crypto";
import { CompactedTopicLog, partitionId } from "@meshstream/channel";
import { Kafka, logLevel, type Consumer, type KafkaConfig } from "kafkajs";
import { SubscriptionError, type DeadLetter, type PartitionProgress, type SubscriptionDefinition } from "./model";
import type { SubscriptionStore } from "./subscription-store";

export interface KafkaSubscriptionStoreOptions {
  readonly brokers: readonly string[];
  /** Prefix of the channel's topics: the store's own topic and groups are named with it too. */
  readonly topicPrefix: string;
  readonly replicationFactor?: number;
  /** `min.insync.replicas` of the topic (the broker's default when absent). */
  readonly minInsyncReplicas?: number;
  /** More client settings (SASL, TLS) as the channel uses them. */
  readonly client?: Omit<KafkaConfig, "brokers">;
  /** How long a member may go silent before its partitions go to others (kafkajs sessionTimeout). Default 6 s, the broker's minimum. */
  readonly sessionTimeoutMs?: number;
}

/** How long a write waits to read its own record back. */
const readBackTimeoutMs = 30_000;

/**
 * Subscriptions in a compacted Kafka topic (one partition), shared by every
 * platform instance on the cluster; each instance keeps the topic applied in
 * memory. Keys:
 * - `def/<name> <proposal>`: a definition. As in the catalog topic, the first
 *   proposal for a free name wins on every instance, and a loser removes its record.
 * - `progress/<name>/<partition>`: the acknowledgement state of a partition
 *   (compaction keeps the last), written by the partition's owner only.
 * - `dead/<name>/<id>`: a dead letter; a tombstone removes it.
 *
 * Who owns a partition is decided by Kafka's group protocol: each instance
 * running a subscription joins the consumer group `<prefix>__subscription.<name>`
 * on the subscription's topics, but never fetches (it stays paused): the
 * group only assigns partitions and notices a member that stopped. The events
 * themselves are read through the channel.
 */
export class KafkaSubscriptionStore implements SubscriptionStore {
  private readonly definitions = new Map<string, { proposal: string; definition: SubscriptionDefinition }>();
  private readonly progressBy = new Map<string, Map<string, PartitionProgress>>();
  private readonly deadBy = new Map<string, Map<string, DeadLetter>>();
  private readonly members = new Set<Consumer>();
  /** Set by open(): the log applies its records through this store, which must exist first. */
  private log!: CompactedTopicLog;

  private constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly options: KafkaSubscriptionStoreOptions,
  ) {}

  static async open(options: KafkaSubscriptionStoreOptions): Promise<KafkaSubscriptionStore> {
    const kafka = new Kafka({ ...options.client, clientId: "meshstream-subscriptions", brokers: [...options.brokers], logLevel: logLevel.NOTHING });
    const store = new KafkaSubscriptionStore(kafka, `${options.topicPrefix}__subscriptions`, options);
    store.log = await CompactedTopicLog.open(kafka, store.topic, options, (_offset, key, value) => store.apply(key, value), {
      groupPrefix: "meshstream-subscriptions",
      timeoutMs: readBackTimeoutMs,
      timedOut: (offset) => store.readBackTimedOut(offset),
    });
    return store;
  }

  async create(definition: SubscriptionDefinition): Promise<boolean> {
    const proposal = randomUUID();
    await this.log.appliedUpTo(await this.send(`def/${definition.name} ${proposal}`, definition));
    const won = this.definitions.get(definition.name)?.proposal === proposal;
    if (!won) await this.send(`def/${definition.name} ${proposal}`, null).catch(() => undefined);
    return won;
  }

  get(name: string): SubscriptionDefinition | undefined {
    return this.definitions.get(name)?.definition;
  }

  list(): SubscriptionDefinition[] {
    return [...this.definitions.values()].map((d) => d.definition).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async delete(name: string): Promise<boolean> {
    const current = this.definitions.get(name);
    if (!current) return false;
    const keys = [
      ...[...(this.progressBy.get(name)?.keys() ?? [])].map((p) => `progress/${name}/${encodeURIComponent(p)}`),
      ...[...(this.deadBy.get(name)?.keys() ?? [])].map((id) => `dead/${name}/${id}`),
      `def/${name} ${current.proposal}`,
    ];
    let last = -1n;
    for (const key of keys) last = await this.send(key, null);
    await this.log.appliedUpTo(last);
    return true;
  }

  progress(name: string): Map<string, PartitionProgress> {
    return new Map(this.progressBy.get(name));
  }

  async saveProgress(name: string, partition: string, progress: PartitionProgress): Promise<void> {
    // Durable once the brokers have it (acks=all); no read-back: only this instance writes this partition's state now.
    await this.send(`progress/${name}/${encodeURIComponent(partition)}`, progress);
  }

  deadLetters(name: string): DeadLetter[] {
    return [...(this.deadBy.get(name)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async putDeadLetter(name: string, letter: DeadLetter): Promise<void> {
    await this.log.appliedUpTo(await this.send(`dead/${name}/${letter.id}`, letter));
  }

  async removeDeadLetter(name: string, id: string): Promise<void> {
    await this.log.appliedUpTo(await this.send(`dead/${name}/${id}`, null));
  }

  refresh(): Promise<void> {
    return this.log.caughtUp();
  }

  async join(definition: SubscriptionDefinition, onAssigned: (owned: ReadonlySet<string>) => void): Promise<() => Promise<void>> {
    const topics = definition.products.map((p) => `${this.options.topicPrefix}${p}`);
    const member = this.kafka.consumer({
      groupId: `${this.options.topicPrefix}__subscription.${definition.name}`,
      sessionTimeout: this.options.sessionTimeoutMs ?? 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      // Paused, a member's fetch loop only sleeps this long between heartbeats.
      maxWaitTimeInMs: 250,
    });
    member.on(member.events.GROUP_JOIN, ({ payload }) => {
      const owned = new Set<string>();
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) for (const n of partitions) owned.add(partitionId(topic, n));
      onAssigned(owned);
    });
    this.members.add(member);
    await member.connect();
    await member.subscribe({ topics });
    // Never resolves an offset: the group decides ownership, the channel reads.
    await member.run({ autoCommit: false, eachBatch: async () => undefined });
    member.pause(topics.map((topic) => ({ topic })));
    return async () => {
      this.members.delete(member);
      await member.disconnect();
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.members].map((m) => m.disconnect()));
    await this.log.close();
  }

  private async send(key: string, value: unknown): Promise<bigint> {
    try {
      return await this.log.send(key, value === null ? null : JSON.stringify(value));
    } catch (err) {
      throw new SubscriptionError("unavailable", `the subscriptions topic ${this.topic} did not take the write: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The one rule every instance applies, in log order. */
  private apply(key: string, value: Buffer | null): void {
    const slash = key.indexOf("/");
    const kind = key.slice(0, slash);
    const rest = key.slice(slash + 1);
    if (kind === "def") {
      const [name, proposal] = rest.split(" ") as [string, string];
      const current = this.definitions.get(name);
      if (value && !current) this.definitions.set(name, { proposal, definition: JSON.parse(value.toString()) as SubscriptionDefinition });
      else if (!value && current?.proposal === proposal) this.definitions.delete(name);
    } else if (kind === "progress" || kind === "dead") {
      const at = rest.lastIndexOf("/");
      const name = rest.slice(0, at);
      const id = kind === "progress" ? decodeURIComponent(rest.slice(at + 1)) : rest.slice(at + 1);
      const maps: Map<string, Map<string, unknown>> = kind === "progress" ? this.progressBy : this.deadBy;
      let map = maps.get(name);
      if (!map) maps.set(name, (map = new Map()));
      if (value) map.set(id, JSON.parse(value.toString()));
      else map.delete(id);
    }
  }

  private readBackTimedOut(offset: bigint): SubscriptionError {
    return new SubscriptionError("unavailable", `the subscriptions topic ${this.topic} did not return offset ${offset} within ${readBackTimeoutMs} ms`);
  }
}
