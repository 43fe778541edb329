import { Kafka, logLevel, type Admin, type KafkaConfig } from "kafkajs";

/** Probes in a row that must fail before the broker counts as down: one slow answer on a busy machine is not an outage. */
const failuresToDown = 2;

/**
 * Whether a broker answers, probed every `intervalMs` with a metadata request
 * over a client of its own that does not retry: the channel's own clients
 * retry for seconds, which would hide an outage from readiness. A broker that
 * is gone refuses the connection at once, so it counts as down within about
 * two intervals.
 */
export class BrokerAvailability {
  private up = true;
  private failures = 0;
  private connected = false;
  private readonly admin: Admin;
  private readonly listeners = new Set<(available: boolean) => void>();
  private readonly timer: NodeJS.Timeout;
  private probing?: Promise<void>;

  constructor(connection: Pick<KafkaConfig, "ssl" | "sasl"> & { brokers: readonly string[] }, clientId: string, intervalMs: number) {
    this.admin = new Kafka({
      clientId: `${clientId}-probe`,
      ssl: connection.ssl,
      sasl: connection.sasl,
      brokers: [...connection.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    }).admin();
    this.timer = setInterval(() => void this.probe(), intervalMs).unref();
  }

  get available(): boolean {
    return this.up;
  }

  /** Calls `listener` with the state now and on every change; returns what stops it. */
  watch(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    listener(this.up);
    return () => this.listeners.delete(listener);
  }

  /** One probe now (one at a time). */
  probe(): Promise<void> {
    this.probing ??= this.check().finally(() => (this.probing = undefined));
    return this.probing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.listeners.clear();
    await this.probing;
    await this.admin.disconnect().catch(() => undefined);
  }

  private async check(): Promise<void> {
    try {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      await this.admin.describeCluster();
      this.failures = 0;
    } catch {
      this.failures++;
      this.connected = false;
      // A fresh connection next time: kafkajs may keep one that a restarted broker no longer knows.
      await this.admin.disconnect().catch(() => undefined);
    }
    const up = this.failures < failuresToDown;
    if (up === this.up) return;
    this.up = up;
    for (const l of this.listeners) l(up);
  }
}
