import type { ChannelFilter, EventChannel, StartPosition } from "@meshstream/channel";
import type { FilterSpec } from "@meshstream/filters";
import { newActivity, type SubscriptionActivity, type SubscriptionStats } from "./activity";
import { SubscriptionError, type DeadLetter, type SubscriptionDefinition } from "./model";
import { SubscriptionRunner, type Consumer, type RunnerOptions } from "./subscription-runner";
import type { SubscriptionStore } from "./subscription-store";

export interface NewSubscription {
  readonly name: string;
  readonly filter: FilterSpec;
  readonly products: readonly string[];
  readonly start: StartPosition;
  /** Defaults: 10 s and 5. */
  readonly ackDeadlineMs?: number;
  readonly maxDeliveries?: number;
}

export const subscriptionLimits = {
  name: /^[A-Za-z][A-Za-z0-9._-]{0,199}$/,
  ackDeadlineMs: { min: 100, max: 600_000, default: 10_000 },
  maxDeliveries: { min: 1, max: 100, default: 5 },
  maxOutstanding: { max: 10_000, default: 100 },
} as const;

/** The channel filter of a subscription: its filter spec compiled against the catalog (the platform's filter compiler). */
export type FilterOf = (definition: SubscriptionDefinition) => Promise<ChannelFilter>;

/**
 * Durable named subscriptions: their definitions, consumers attaching by
 * name (one runner per subscription in this process, started with its first
 * consumer and stopped with its last), and their dead letters.
 */
export class DurableSubscriptions {
  private readonly runners = new Map<string, Promise<SubscriptionRunner>>();
  /** Each subscription's activity here since the start, across its runners. */
  private readonly activities = new Map<string, SubscriptionActivity>();
  /** Runners storing their last state: the next runner of that subscription starts from it. */
  private readonly stopping = new Map<string, Promise<void>>();

  constructor(
    private readonly store: SubscriptionStore,
    private readonly channel: EventChannel,
    private readonly filterOf: FilterOf,
    private readonly options: RunnerOptions = {},
  ) {}

  async create(input: NewSubscription): Promise<SubscriptionDefinition> {
    const ackDeadlineMs = input.ackDeadlineMs || subscriptionLimits.ackDeadlineMs.default;
    const maxDeliveries = input.maxDeliveries || subscriptionLimits.maxDeliveries.default;
    const violations: { field: string; description: string }[] = [];
    if (!subscriptionLimits.name.test(input.name)) violations.push({ field: "name", description: "1 to 200 letters, digits, '.', '_' or '-', starting with a letter" });
    const { min, max } = subscriptionLimits.ackDeadlineMs;
    if (ackDeadlineMs < min || ackDeadlineMs > max) violations.push({ field: "ack_deadline", description: `from ${min} ms to ${max / 1000} s` });
    const md = subscriptionLimits.maxDeliveries;
    if (maxDeliveries < md.min || maxDeliveries > md.max) violations.push({ field: "max_deliveries", description: `from ${md.min} to ${md.max}` });
    if (violations.length > 0) throw new SubscriptionError("invalid_argument", `invalid subscription: ${violations.map((v) => `${v.field}: ${v.description}`).join("; ")}`, violations);
    if (this.store.get(input.name)) throw new SubscriptionError("already_exists", `subscription ${input.name} exists`);
    const draft = { name: input.name, filter: input.filter, products: [...input.products], start: "", ackDeadlineMs, maxDeliveries, createTime: new Date().toISOString() };
    // "latest" means from now: fixed here, so events stored before the first consumer attaches are kept for it.
    const filter = await this.filterOf(draft);
    const start = await retryUnavailable(() => this.channel.resolveStart(filter, input.start));
    const definition: SubscriptionDefinition = { ...draft, start };
    if (!(await this.store.create(definition))) throw new SubscriptionError("already_exists", `subscription ${input.name} exists`);
    return definition;
  }

  get(name: string): SubscriptionDefinition {
    const definition = this.store.get(name);
    if (!definition) throw new SubscriptionError("not_found", `subscription ${name} does not exist`);
    return definition;
  }

  /** As get(), but one created a moment ago through another instance is found too (the store is read up to now first). */
  async find(name: string): Promise<SubscriptionDefinition> {
    if (!this.store.get(name)) await this.store.refresh();
    return this.get(name);
  }

  list(): SubscriptionDefinition[] {
    return this.store.list();
  }

  async delete(name: string): Promise<void> {
    const runner = this.runners.get(name);
    this.runners.delete(name);
    await (await runner)?.stop();
    if (!(await this.store.delete(name))) throw new SubscriptionError("not_found", `subscription ${name} does not exist`);
    this.activities.delete(name);
  }

  /** Attaches a consumer holding at most `maxOutstanding` events unacknowledged; `close()` it when done. */
  async consume(name: string, maxOutstanding: number): Promise<Consumer> {
    const definition = await this.find(name);
    let runner = this.runners.get(name);
    if (!runner) {
      const stopped = this.stopping.get(name) ?? Promise.resolve();
      runner = Promise.all([this.filterOf(definition), stopped])
        .then(([filter]) => new SubscriptionRunner(definition, this.channel, filter, this.store, this.options, this.activityOf(name)));
      this.runners.set(name, runner);
      runner.catch(() => this.runners.delete(name));
    }
    const consumer = (await runner).attach(Math.min(maxOutstanding || subscriptionLimits.maxOutstanding.default, subscriptionLimits.maxOutstanding.max));
    const close = consumer.close.bind(consumer);
    consumer.close = () => {
      close();
      void this.stopIfIdle(name, runner);
    };
    return consumer;
  }

  /** The subscriptions consumed on this instance since it started: what their consumers did, and hold now. */
  stats(): SubscriptionStats[] {
    return [...this.activities].map(([name, { runner, returned, ...counters }]) => ({
      name,
      ...counters,
      returned: { ...returned },
      consumers: runner?.consumerCount ?? 0,
      outstanding: runner?.outstanding ?? 0,
    }));
  }

  deadLetters(name: string): DeadLetter[] {
    this.get(name);
    return this.store.deadLetters(name);
  }

  /** Puts the dead letters named (all when `ids` is empty) back into the subscription; resolves with how many. */
  async redrive(name: string, ids: readonly string[]): Promise<number> {
    const letters = this.deadLetters(name);
    const chosen = ids.length === 0 ? letters : letters.filter((l) => ids.includes(l.id));
    const missing = ids.filter((id) => !letters.some((l) => l.id === id));
    if (missing.length > 0) throw new SubscriptionError("not_found", `no dead letter ${missing.join(", ")} in subscription ${name}`);
    const runner = await this.runners.get(name);
    for (const letter of chosen) {
      const redriven = { ...letter, redriving: true };
      // Marked before it is delivered, so that a restart delivers it again.
      await this.store.putDeadLetter(name, redriven);
      runner?.redrive(redriven);
    }
    return chosen.length;
  }

  async close(): Promise<void> {
    const runners = [...this.runners.values()];
    this.runners.clear();
    await Promise.allSettled([...runners.map(async (r) => (await r).stop()), ...this.stopping.values()]);
  }

  private activityOf(name: string): SubscriptionActivity {
    let activity = this.activities.get(name);
    if (!activity) this.activities.set(name, (activity = newActivity()));
    return activity;
  }

  private async stopIfIdle(name: string, runner: Promise<SubscriptionRunner>): Promise<void> {
    const r = await runner;
    if (r.consumerCount > 0 || this.runners.get(name) !== runner) return;
    this.runners.delete(name);
    const stopped = r.stop().finally(() => {
      if (this.stopping.get(name) === stopped) this.stopping.delete(name);
    });
    this.stopping.set(name, stopped);
    await stopped;
  }
}

/** A topic the channel has just created may be unknown to the broker asked for a moment (more on a loaded one): a few tries. */
async function retryUnavailable<T>(call: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      if ((err as { code?: string }).code !== "unavailable" || i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}
