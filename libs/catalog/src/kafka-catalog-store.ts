import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from "kafkajs";
import type { CatalogStore } from "./catalog-store";
import type { DataProduct, EventType, SchemaVersion } from "./model";

export interface KafkaCatalogStoreOptions {
  readonly brokers: readonly string[];
  /** The compacted topic that holds the catalog. */
  readonly topic: string;
  readonly replicationFactor?: number;
}

type Entry = DataProduct | EventType | SchemaVersion;

/**
 * The catalog in a compacted Kafka topic, so that several platform instances
 * share it: every entry is a record keyed by what it is, the latest record of
 * a key wins. Each instance reads the whole topic at start and then follows
 * it, keeping the view in memory; a write resolves once Kafka has it (acks=all).
 */
export class KafkaCatalogStore implements CatalogStore {
  private readonly entries = new Map<string, Entry>();

  private constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
    private readonly topic: string,
  ) {}

  static async open(options: KafkaCatalogStoreOptions): Promise<KafkaCatalogStore> {
    const kafka = new Kafka({ clientId: "meshstream-catalog", brokers: [...options.brokers], logLevel: logLevel.NOTHING });
    const store = new KafkaCatalogStore(kafka.admin(), kafka.producer({ idempotent: true, maxInFlightRequests: 1 }), kafka.consumer({ groupId: `meshstream-catalog-${randomUUID()}` }), options.topic);
    await store.admin.connect();
    await store.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: options.topic, numPartitions: 1, replicationFactor: options.replicationFactor ?? 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
    });
    await store.producer.connect();
    const high = (await store.admin.fetchTopicOffsets(options.topic))[0]?.high ?? "0";
    let caughtUp!: () => void;
    const loaded = new Promise<void>((resolve) => (caughtUp = resolve));
    if (high === "0") caughtUp();
    await store.consumer.connect();
    await store.consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await store.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const key = message.key?.toString();
        if (key && message.value) store.entries.set(key, JSON.parse(message.value.toString()) as Entry);
        if (BigInt(message.offset) + 1n >= BigInt(high)) caughtUp();
      },
    });
    await loaded;
    return store;
  }

  putProduct(product: DataProduct): Promise<void> {
    return this.put(`product/${product.name}`, product);
  }

  getProduct(name: string): DataProduct | undefined {
    return this.entries.get(`product/${name}`) as DataProduct | undefined;
  }

  listProducts(): DataProduct[] {
    return this.list<DataProduct>("product/");
  }

  putEventType(eventType: EventType): Promise<void> {
    return this.put(`type/${eventType.type}`, eventType);
  }

  getEventType(type: string): EventType | undefined {
    return this.entries.get(`type/${type}`) as EventType | undefined;
  }

  listEventTypes(): EventType[] {
    return this.list<EventType>("type/");
  }

  putSchemaVersion(version: SchemaVersion): Promise<void> {
    return this.put(`schema/${version.type}/${String(version.version).padStart(10, "0")}`, version);
  }

  listSchemaVersions(type: string): SchemaVersion[] {
    return this.list<SchemaVersion>(`schema/${type}/`);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect()]);
  }

  private async put(key: string, entry: Entry): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key, value: JSON.stringify(entry) }] });
    // Our own write is visible at once; the consumer will bring the same record back.
    this.entries.set(key, entry);
  }

  private list<T>(prefix: string): T[] {
    return [...this.entries]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, v]) => v as T);
  }
}
