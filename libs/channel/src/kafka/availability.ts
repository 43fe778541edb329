import { Kafka, logLevel, type Admin } from "kafkajs";

/**
 * Whether a broker answers, probed every `intervalMs` with a metadata request
 * over a client of its own that does not retry: the channel's own clients
 * retry for seconds, which would hide an outage from readiness.
 */
export class BrokerAvailability {
  private up = true;
  private connected = false;
  private readonly admin: Admin;
  private readonly listeners = new Set<(available: boolean) => void>();
  private readonly timer: NodeJS.Timeout;
  private probing?: Promise<void>;

  constructor(brokers: readonly string[], clientId: string, intervalMs: number) {
    this.admin = new Kafka({
      clientId: `${clientId}-probe`,
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: Math.max(1000, intervalMs * 2),
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
    let up: boolean;
    try {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      await this.admin.describeCluster();
      up = true;
    } catch {
      up = false;
      this.connected = false;
      // A fresh connection next time: kafkajs may keep one that a restarted broker no longer knows.
      await this.admin.disconnect().catch(() => undefined);
    }
    if (up === this.up) return;
    this.up = up;
    for (const l of this.listeners) l(up);
  }
}
