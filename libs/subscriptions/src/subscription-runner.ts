import { decodePosition, encodePosition, type ChannelFilter, type EventChannel } from "@meshstream/channel";
import { decodeEvent, encodeEvent, type CloudEvent } from "@meshstream/cloudevents";
import { newActivity, type SubscriptionActivity } from "./activity";
import type { DeadLetter, SubscriptionDefinition } from "./model";
import { PartitionWindow } from "./partition-window";
import type { SubscriptionStore } from "./subscription-store";

/** One delivery to a consumer: acknowledge it by `ackId` before the deadline. */
export interface ReceivedEvent {
  readonly ackId: string;
  /** The event, with the `deliverycount` extension (1 on the first delivery). */
  readonly event: CloudEvent;
  /** The channel position after the event; empty for a redriven dead letter. */
  readonly position: string;
  readonly deliveryCount: number;
}

export interface RunnerOptions {
  /** How long acknowledgements may wait in memory before they are stored: what a crash can cost (redeliveries). */
  readonly flushMs?: number;
  /** Events one partition may have read and not yet settled before reading pauses. */
  readonly maxSpan?: number;
  readonly onError?: (err: unknown) => void;
}

interface Item {
  readonly ackId: string;
  readonly event: CloudEvent;
  readonly position: string;
  readonly partition?: string;
  readonly offset?: bigint;
  /** Set for a redriven dead letter. */
  readonly letter?: DeadLetter;
  attempts: number;
  holder?: Consumer;
  /** Who had it last: a redelivery goes to another consumer when one has room. */
  previous?: Consumer;
  deadline: number;
}

/** Reasons given with a dead letter. */
export const deadLetterReasons = {
  nacked: "nacked by the consumer",
  expired: "ack deadline exceeded",
  left: "the consumer left with it unacknowledged",
} as const;

const maxExtensionMs = 600_000;

/**
 * One subscription running in this process: reads the channel from where its
 * acknowledgements stand, spreads the events over the consumers attached
 * (each holding at most its own number unacknowledged), redelivers what is
 * nacked or not acknowledged in time, and moves to the dead letters what
 * was delivered max-delivery times. Acknowledgement state is stored at most
 * `flushMs` after it changes.
 */
export class SubscriptionRunner {
  private readonly windows = new Map<string, PartitionWindow>();
  private readonly items = new Map<string, Item>();
  private readonly consumers: Consumer[] = [];
  private readonly fresh: Item[] = [];
  private readonly retries: Item[] = [];
  private readonly reading = new AbortController();
  /** The current read of the channel, ended when the partitions owned change. */
  private session?: AbortController;
  /** Partitions this instance delivers: none until the store assigns them. */
  private owned: ReadonlySet<string> | "all" = new Set();
  private assigning: Promise<void> = Promise.resolve();
  private leave?: Promise<() => Promise<void>>;
  private readonly dirty = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly ticker: NodeJS.Timeout;
  private readonly letterScan: NodeJS.Timeout;
  /** Redriven letters acknowledged whose removal from the store is under way: not to be redriven again meanwhile. */
  private readonly removing = new Set<string>();
  private roomWaiter?: () => void;
  private nextConsumer = 0;
  private readonly reader: Promise<void>;

  constructor(
    readonly definition: SubscriptionDefinition,
    private readonly channel: EventChannel,
    private readonly filter: ChannelFilter,
    private readonly store: SubscriptionStore,
    private readonly options: RunnerOptions = {},
    readonly activity: SubscriptionActivity = newActivity(),
  ) {
    activity.runner = this;
    // Until the first assignment nothing is owned: reading delivers nothing (the embedded store assigns all at once).
    this.leave = store.join(definition, (owned) => this.assign(owned));
    this.leave.catch((err: unknown) => this.options.onError?.(err));
    this.ticker = setInterval(() => this.expire(), Math.max(20, Math.min(500, definition.ackDeadlineMs / 5)));
    // Redrives made through another instance reach this one through the store.
    this.letterScan = setInterval(() => this.redriveStored(), 1000);
    this.reader = this.read();
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** Deliveries held by consumers, not yet acknowledged. */
  get outstanding(): number {
    let n = 0;
    for (const item of this.items.values()) if (item.holder) n++;
    return n;
  }

  attach(maxOutstanding: number): Consumer {
    const consumer = new Consumer(this, Math.max(1, maxOutstanding));
    this.consumers.push(consumer);
    this.dispatch();
    return consumer;
  }

  /** Puts a dead letter back (if this instance owns its partition): it is delivered again, counted from one. */
  redrive(letter: DeadLetter): void {
    const ackId = `dl:${letter.id}`;
    if (this.items.has(ackId) || this.removing.has(letter.id) || !this.owns(letter.partition)) return;
    const item: Item = { ackId, event: decodeEvent(Buffer.from(letter.event, "base64")), position: "", letter, attempts: 0, deadline: 0 };
    this.items.set(ackId, item);
    this.retries.push(item);
    this.dispatch();
  }

  /** Stops reading and stores the acknowledgement state; the consumers still attached are ended. */
  async stop(): Promise<void> {
    if (this.activity.runner === this) this.activity.runner = undefined;
    this.reading.abort();
    this.session?.abort();
    clearInterval(this.ticker);
    clearInterval(this.letterScan);
    for (const c of [...this.consumers]) c.end();
    this.roomWaiter?.();
    await this.reader;
    await this.assigning;
    await this.flush();
    try {
      await (await this.leave)?.();
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /**
   * The partitions this instance owns changed (a rebalance): the state of
   * those it lost is stored and dropped here (their new owner redelivers what
   * was outstanding), that of those it gained is read from the store, and
   * reading starts again.
   */
  private assign(owned: ReadonlySet<string> | "all"): void {
    this.session?.abort();
    this.roomWaiter?.();
    this.assigning = this.assigning.then(async () => {
      const lost = [...this.windows.keys()].filter((p) => owned !== "all" && !owned.has(p));
      const previous = this.owned;
      this.owned = owned;
      if (lost.length > 0) {
        await this.flush();
        for (const p of lost) this.windows.delete(p);
        for (const item of [...this.items.values()]) if (!this.owns(item.partition ?? item.letter!.partition)) this.drop(item);
      }
      try {
        await this.store.refresh();
      } catch (err) {
        this.options.onError?.(err);
      }
      for (const [p, progress] of this.store.progress(this.definition.name)) {
        const gained = this.owns(p) && (previous === "all" ? false : !previous.has(p));
        if (gained) this.windows.set(p, new PartitionWindow(progress));
      }
      this.redriveStored();
    });
  }

  private owns(partition: string): boolean {
    return this.owned === "all" || this.owned.has(partition);
  }

  /** Forgets an item of a partition no longer owned. */
  private drop(item: Item): void {
    this.items.delete(item.ackId);
    item.holder?.release(item.ackId);
    item.holder = undefined;
  }

  private redriveStored(): void {
    // Deleted (maybe through another instance): the consumers here end, and with the last one this runner.
    if (!this.store.get(this.definition.name)) {
      for (const c of [...this.consumers]) c.close();
      return;
    }
    for (const letter of this.store.deadLetters(this.definition.name)) if (letter.redriving) this.redrive(letter);
  }

  // --- called by consumers

  ack(ackId: string): void {
    const item = this.items.get(ackId);
    if (!item) return;
    this.activity.acknowledged++;
    this.settle(item);
  }

  nack(consumer: Consumer, ackId: string): void {
    const item = this.items.get(ackId);
    if (item?.holder === consumer) this.retry(item, "nacked");
  }

  extend(consumer: Consumer, ackId: string, ms: number): void {
    const item = this.items.get(ackId);
    if (item?.holder !== consumer) return;
    if (ms <= 0) this.retry(item, "nacked");
    else item.deadline = Date.now() + Math.min(ms, maxExtensionMs);
  }

  detach(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
    for (const item of [...this.items.values()]) if (item.holder === consumer) this.retry(item, "left");
    this.dispatch();
  }

  // ---

  private async read(): Promise<void> {
    while (!this.reading.signal.aborted) {
      await this.assigning;
      const session = (this.session = new AbortController());
      const signal = AbortSignal.any([this.reading.signal, session.signal]);
      try {
        await this.room();
        for await (const d of this.channel.subscribe(this.filter, { kind: "after", position: await this.resumePosition() }, { signal })) {
          if (!this.owns(d.partition)) continue;
          const window = this.window(d.partition);
          const attempts = window.read(d.offset);
          if (attempts !== false) {
            const item: Item = { ackId: ackIdOf(d.partition, d.offset), event: d.event, position: d.position, partition: d.partition, offset: d.offset, attempts, deadline: 0 };
            this.items.set(item.ackId, item);
            this.fresh.push(item);
            this.dispatch();
          }
          await this.room();
          if (signal.aborted) break;
        }
      } catch (err) {
        if (signal.aborted) continue;
        // The channel ended the read (a broker outage): go on from what was read, after a pause.
        this.options.onError?.(err);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * Where reading goes on: for each partition owned, after what was read of
   * it (or the subscription's start); the others from their end, as nothing
   * of them is delivered here.
   */
  private async resumePosition(): Promise<string> {
    const cursor = decodePosition(this.definition.start);
    const ends = this.owned === "all" ? new Map<string, bigint>() : decodePosition(await this.channel.resolveStart(this.filter, { kind: "latest" }));
    for (const [p, end] of ends) if (!this.owns(p)) cursor.set(p, end);
    for (const [p, w] of this.windows) cursor.set(p, w.resumeAt);
    return encodePosition(cursor);
  }

  private window(partition: string): PartitionWindow {
    let w = this.windows.get(partition);
    if (!w) this.windows.set(partition, (w = new PartitionWindow({ next: decodePosition(this.definition.start).get(partition)?.toString() ?? "0", settled: [], attempts: {} })));
    return w;
  }

  /** Resolves when there is a consumer with room and nothing waiting for one, and no partition's window is full. */
  private room(): Promise<void> {
    const maxSpan = this.options.maxSpan ?? 5000;
    const ready = () => this.reading.signal.aborted || this.session?.signal.aborted || (this.fresh.length === 0 && this.retries.length === 0 && this.consumers.some((c) => c.hasRoom) && [...this.windows.values()].every((w) => w.span < maxSpan));
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiter = () => {
        if (!ready()) return;
        this.roomWaiter = undefined;
        resolve();
      };
    });
  }

  private dispatch(): void {
    while (this.retries.length > 0 || this.fresh.length > 0) {
      const queue = this.retries.length > 0 ? this.retries : this.fresh;
      const consumer = this.pickConsumer(queue[0]!.previous);
      if (!consumer) break;
      const item = queue.shift()!;
      // Settled meanwhile, or dropped with a partition lost (and maybe read again since, as another item).
      if (this.items.get(item.ackId) !== item) continue;
      if (++item.attempts === 1) this.activity.delivered++;
      else this.activity.redelivered++;
      item.holder = consumer;
      item.deadline = Date.now() + this.definition.ackDeadlineMs;
      if (item.partition !== undefined) {
        this.windows.get(item.partition)!.delivered(item.offset!);
        this.markDirty(item.partition);
      }
      consumer.give({ ackId: item.ackId, event: { ...item.event, extensions: { ...item.event.extensions, deliverycount: String(item.attempts) } }, position: item.position, deliveryCount: item.attempts });
    }
    this.roomWaiter?.();
  }

  /** Round robin over the consumers with room, `avoid` only when no other has room. */
  private pickConsumer(avoid?: Consumer): Consumer | undefined {
    let fallback: Consumer | undefined;
    for (let i = 0; i < this.consumers.length; i++) {
      const c = this.consumers[(this.nextConsumer + i) % this.consumers.length]!;
      if (!c.hasRoom) continue;
      if (c === avoid) {
        fallback = c;
        continue;
      }
      this.nextConsumer = (this.nextConsumer + i + 1) % this.consumers.length;
      return c;
    }
    return fallback;
  }

  private expire(): void {
    const now = Date.now();
    for (const item of [...this.items.values()]) if (item.holder && item.deadline <= now) this.retry(item, "expired");
  }

  private retry(item: Item, why: keyof typeof deadLetterReasons): void {
    this.activity.returned[why]++;
    const reason = deadLetterReasons[why];
    item.holder?.release(item.ackId);
    item.previous = item.holder;
    item.holder = undefined;
    if (item.attempts >= this.definition.maxDeliveries) void this.deadLetter(item, reason);
    else this.retries.push(item);
    this.dispatch();
  }

  /** Stored as a dead letter before it is settled, so that a crash in between leaves it to be delivered again, never lost. */
  private async deadLetter(item: Item, reason: string): Promise<void> {
    const id = item.letter?.id ?? letterIdOf(item.partition!, item.offset!);
    const letter: DeadLetter = { id, partition: item.partition ?? item.letter!.partition, event: Buffer.from(encodeEvent(item.event)).toString("base64"), reason, deliveryCount: item.attempts, time: new Date().toISOString(), redriving: false };
    try {
      await this.store.putDeadLetter(this.definition.name, letter);
    } catch (err) {
      // Not stored: deliver it again rather than lose it.
      this.options.onError?.(err);
      this.retries.push(item);
      this.dispatch();
      return;
    }
    this.activity.deadLettered++;
    this.settle(item, true);
  }

  private settle(item: Item, deadLettered = false): void {
    if (!this.items.delete(item.ackId)) return;
    item.holder?.release(item.ackId);
    item.holder = undefined;
    if (item.partition !== undefined) {
      this.windows.get(item.partition)!.settle(item.offset!);
      this.markDirty(item.partition);
    } else if (!deadLettered) {
      // A redriven letter acknowledged: it leaves the dead letters.
      const id = item.letter!.id;
      this.removing.add(id);
      this.store
        .removeDeadLetter(this.definition.name, id)
        .catch((err: unknown) => this.options.onError?.(err))
        .finally(() => this.removing.delete(id));
    }
    this.dispatch();
  }

  private markDirty(partition: string): void {
    this.dirty.add(partition);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.options.flushMs ?? 25);
  }

  /** Stores the windows changed since the last flush, one flush at a time. */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = this.flushing.then(async () => {
      const partitions = [...this.dirty];
      this.dirty.clear();
      // A subscription deleted meanwhile keeps nothing.
      if (!this.store.get(this.definition.name)) return;
      try {
        await Promise.all(partitions.map((p) => this.store.saveProgress(this.definition.name, p, this.windows.get(p)!.snapshot())));
      } catch (err) {
        for (const p of partitions) this.dirty.add(p);
        this.options.onError?.(err);
      }
    });
    return this.flushing;
  }
}

/**
 * One consumer attached to a running subscription: an async iterator of
 * deliveries (calls to `next()` are answered in order), and its acknowledgements.
 */
export class Consumer implements AsyncIterableIterator<ReceivedEvent> {
  private readonly held = new Set<string>();
  private readonly queue: ReceivedEvent[] = [];
  private readonly takers: ((result: IteratorResult<ReceivedEvent>) => void)[] = [];
  private ended = false;

  constructor(
    private readonly runner: SubscriptionRunner,
    private readonly maxOutstanding: number,
  ) {}

  get hasRoom(): boolean {
    return !this.ended && this.held.size < this.maxOutstanding;
  }

  /** Deliveries given to this consumer and not yet taken by `next()`. */
  get queued(): number {
    return this.queue.length;
  }

  ack(ackIds: readonly string[]): void {
    for (const id of ackIds) this.runner.ack(id);
  }

  nack(ackIds: readonly string[]): void {
    for (const id of ackIds) this.runner.nack(this, id);
  }

  /** A new deadline, `ms` from now, for events this consumer holds; 0 nacks them. */
  modifyDeadline(ackIds: readonly string[], ms: number): void {
    for (const id of ackIds) this.runner.extend(this, id, ms);
  }

  /** Leaves the subscription: what it holds unacknowledged is delivered to others. */
  close(): void {
    if (this.ended) return;
    this.end();
    this.runner.detach(this);
  }

  give(received: ReceivedEvent): void {
    this.held.add(received.ackId);
    const taker = this.takers.shift();
    if (taker) taker({ value: received, done: false });
    else this.queue.push(received);
  }

  release(ackId: string): void {
    this.held.delete(ackId);
  }

  end(): void {
    this.ended = true;
    for (const taker of this.takers.splice(0)) taker({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ReceivedEvent>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** Breaking out of a for-await loop leaves the subscription. */
  return(): Promise<IteratorResult<ReceivedEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

const ackIdOf = (partition: string, offset: bigint) => `${Buffer.from(partition).toString("base64url")}.${offset}`;
const letterIdOf = ackIdOf;
