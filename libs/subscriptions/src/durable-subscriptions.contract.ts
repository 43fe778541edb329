import { randomUUID } from "node:crypto";
import type { EventChannel } from "@meshstream/channel";
import { decodeEvent, type CloudEvent } from "@meshstream/cloudevents";
import { DurableSubscriptions, type NewSubscription } from "./durable-subscriptions";
import type { Consumer, ReceivedEvent } from "./subscription-runner";
import type { SubscriptionStore } from "./subscription-store";

/** A channel and a store on it; `reopen` gives another store on the same data (a restart, or a second instance). */
export interface DurableFixture {
  readonly channel: EventChannel;
  readonly store: SubscriptionStore;
  reopen(): Promise<SubscriptionStore>;
  /** Closes what `reopen` opened. */
  close?(): Promise<void>;
}

/**
 * What durable subscriptions must do over every SubscriptionStore adapter;
 * each adapter's spec calls it unchanged.
 */
export function durableSubscriptionsContract(open: () => Promise<DurableFixture>, options: { shared?: boolean } = {}): void {
  let fixture: DurableFixture;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    fixture = await open();
  });
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((o) => o.close()));
  });
  afterAll(async () => {
    await fixture.close?.();
    await fixture.store.close();
    await fixture.channel.close();
  });

  const subscriptions = (store = fixture.store) => {
    const s = new DurableSubscriptions(store, fixture.channel, async (d) => ({ products: d.products, types: d.filter.types ?? [] }), { flushMs: 10 });
    opened.push(s);
    return s;
  };
  const product = () => `durable-${randomUUID().slice(0, 8)}`;
  const event = (n: number, key = options.shared ? `k${n % 10}` : "k"): CloudEvent => ({
    specversion: "1.0",
    id: `e-${n}-${randomUUID()}`,
    source: "/contract",
    type: "t",
    datacontenttype: "application/json",
    extensions: { partitionkey: key },
    data: Buffer.from(JSON.stringify({ n })),
  });
  const publish = async (p: string, from: number, count: number) => {
    for (let i = from; i < from + count; i += 500) await fixture.channel.publish(Array.from({ length: Math.min(500, from + count - i) }, (_, j) => ({ product: p, event: event(i + j) })));
  };
  const n = (r: ReceivedEvent) => (JSON.parse(Buffer.from(r.event.data!).toString()) as { n: number }).n;
  const definition = (p: string, more: Partial<NewSubscription> = {}): NewSubscription => ({
    name: `sub-${randomUUID().slice(0, 8)}`,
    filter: { types: ["t"] },
    products: [p],
    start: { kind: "earliest" },
    ackDeadlineMs: 1000,
    maxDeliveries: 3,
    ...more,
  });

  /** Reads deliveries, handing each to `each`, until `until` says stop; fails after `timeoutMs`. */
  async function drain(consumer: Consumer, each: (r: ReceivedEvent) => void, until: () => boolean, timeoutMs = 20_000): Promise<void> {
    const it = consumer[Symbol.asyncIterator]();
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([it.next(), new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, left))))]);
      clearTimeout(timer);
      if (next === "timeout") throw new Error("timed out waiting for deliveries");
      if (next.done) return;
      each(next.value);
    }
  }

  /** How many deliveries arrive within `ms` (expected: none). */
  async function quiet(consumer: Consumer, ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    return consumer.queued;
  }

  it("creates, gets, lists and deletes subscriptions, and refuses bad ones clearly", async () => {
    const s = subscriptions();
    const p = product();
    const def = await s.create(definition(p, { name: "zz-contract-a" }));
    expect(s.get(def.name)).toMatchObject({ name: "zz-contract-a", products: [p], ackDeadlineMs: 1000, maxDeliveries: 3 });
    await expect(s.create(definition(p, { name: "zz-contract-a" }))).rejects.toMatchObject({ code: "already_exists" });
    await expect(s.create(definition(p, { name: "9 bad name" }))).rejects.toMatchObject({ code: "invalid_argument", violations: [{ field: "name" }] });
    await expect(s.create(definition(p, { ackDeadlineMs: 5 }))).rejects.toMatchObject({ code: "invalid_argument", violations: [{ field: "ack_deadline" }] });
    await expect(s.create(definition(p, { maxDeliveries: 1000 }))).rejects.toMatchObject({ code: "invalid_argument", violations: [{ field: "max_deliveries" }] });
    expect(s.list().map((d) => d.name)).toContain("zz-contract-a");
    const other = subscriptions(await fixture.reopen());
    expect(other.get("zz-contract-a").products).toEqual([p]);
    await s.delete("zz-contract-a");
    expect(() => s.get("zz-contract-a")).toThrow(expect.objectContaining({ code: "not_found" }) as Error);
    await expect(s.delete("zz-contract-a")).rejects.toMatchObject({ code: "not_found" });
    await expect(s.consume("zz-contract-a", 10)).rejects.toMatchObject({ code: "not_found" });
  });

  it("starts a 'latest' subscription where it was created, not where its first consumer attaches", async () => {
    const s = subscriptions();
    const p = product();
    await publish(p, 0, 5);
    const def = await s.create(definition(p, { start: { kind: "latest" } }));
    await publish(p, 5, 3);
    const c = await s.consume(def.name, 10);
    const got: number[] = [];
    await drain(c, (r) => (got.push(n(r)), c.ack([r.ackId])), () => got.length === 3);
    expect(got.sort()).toEqual([5, 6, 7]);
    c.close();
  });

  it("spreads events over competing consumers, each acknowledged exactly once, in order per key for each consumer", async () => {
    const s = subscriptions();
    const p = product();
    const total = 3000;
    const def = await s.create(definition(p, { ackDeadlineMs: 30_000 }));
    await publish(p, 0, total);
    const consumers = await Promise.all([0, 1, 2].map(() => s.consume(def.name, 50)));
    const seen = consumers.map(() => [] as number[]);
    const all = new Set<number>();
    let deliveries = 0;
    await Promise.all(
      consumers.map((c, i) =>
        drain(
          c,
          (r) => {
            deliveries++;
            expect(r.deliveryCount).toBe(1);
            expect(r.event.extensions.deliverycount).toBe("1");
            seen[i]!.push(n(r));
            all.add(n(r));
            c.ack([r.ackId]);
            // Done: the others stop waiting.
            if (all.size === total) for (const other of consumers) other.close();
          },
          () => all.size === total,
        ),
      ),
    );
    expect(deliveries).toBe(total);
    for (const got of seen) {
      expect(got.length).toBeGreaterThan(total / 10);
      // Per key, each consumer sees its share in order.
      const keys = options.shared ? 10 : 1;
      for (let k = 0; k < keys; k++) {
        const mine = got.filter((x) => x % keys === k);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
    }
  });

  it("redelivers to another consumer what one held past its deadline, or took with it when it left", async () => {
    const s = subscriptions();
    const p = product();
    const def = await s.create(definition(p, { ackDeadlineMs: 300 }));
    await publish(p, 0, 10);
    const silent = await s.consume(def.name, 5);
    const held: number[] = [];
    await drain(silent, (r) => held.push(n(r)), () => held.length === 5);
    const worker = await s.consume(def.name, 100);
    const got = new Map<number, number>();
    await drain(worker, (r) => (got.set(n(r), r.deliveryCount), worker.ack([r.ackId])), () => got.size === 10);
    for (const h of held) expect(got.get(h)).toBe(2);
    // The silent one got more after its deadline passed (it has room again); it leaves holding them.
    const again: number[] = [];
    await publish(p, 10, 4);
    await drain(silent, (r) => again.push(n(r)), () => again.length >= 1);
    silent.close();
    await drain(worker, (r) => (got.set(n(r), r.deliveryCount), worker.ack([r.ackId])), () => got.size === 14);
    expect([...got.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    worker.close();
  });

  it("redelivers a nacked event at once, keeps an extended one, and dead-letters after max deliveries; redrive delivers it again", async () => {
    const s = subscriptions();
    const p = product();
    const def = await s.create(definition(p, { ackDeadlineMs: 400, maxDeliveries: 3 }));
    await publish(p, 0, 3);
    const c = await s.consume(def.name, 10);
    const counts: [number, number][] = [];
    let extended = "";
    await drain(
      c,
      (r) => {
        counts.push([n(r), r.deliveryCount]);
        if (n(r) === 0) c.nack([r.ackId]);
        else if (n(r) === 1) c.ack([r.ackId]);
        else ((extended = r.ackId), c.modifyDeadline([r.ackId], 5000));
      },
      () => counts.filter(([x]) => x === 0).length === 3 && extended !== "",
    );
    expect(counts.filter(([x]) => x === 0).map(([, k]) => k)).toEqual([1, 2, 3]);
    // The extended one is not redelivered while its new deadline runs.
    expect(await quiet(c, 800)).toBe(0);
    c.ack([extended]);
    const letters = await waitFor(() => s.deadLetters(def.name), (l) => l.length === 1);
    expect(letters[0]).toMatchObject({ reason: "nacked by the consumer", deliveryCount: 3, redriving: false });
    expect(JSON.parse(Buffer.from(decodeEvent(Buffer.from(letters[0]!.event, "base64")).data!).toString())).toEqual({ n: 0 });
    await expect(s.redrive(def.name, ["nope"])).rejects.toMatchObject({ code: "not_found" });
    expect(await s.redrive(def.name, [letters[0]!.id])).toBe(1);
    const redriven: ReceivedEvent[] = [];
    await drain(c, (r) => redriven.push(r), () => redriven.length === 1);
    expect(n(redriven[0]!)).toBe(0);
    expect(redriven[0]!.deliveryCount).toBe(1);
    c.ack([redriven[0]!.ackId]);
    await waitFor(() => s.deadLetters(def.name), (l) => l.length === 0);
    // What the metrics read: n=0 delivered three times (nacked each), dead-lettered, redriven (a first delivery again) and acknowledged.
    const stats = () => s.stats().find((x) => x.name === def.name);
    expect(stats()).toEqual({
      name: def.name,
      delivered: 4,
      redelivered: 2,
      acknowledged: 3,
      returned: { nacked: 3, expired: 0, left: 0 },
      deadLettered: 1,
      consumers: 1,
      outstanding: 0,
    });
    c.close();
    await waitFor(stats, (x) => x?.consumers === 0);
    expect(stats()).toMatchObject({ delivered: 4, acknowledged: 3 });
  });

  it("dead-letters an event whose deadline passes max-delivery times, and redrives all after a restart", async () => {
    const s = subscriptions();
    const p = product();
    const def = await s.create(definition(p, { ackDeadlineMs: 150, maxDeliveries: 2 }));
    await publish(p, 0, 2);
    const c = await s.consume(def.name, 10);
    const got: number[] = [];
    await drain(c, (r) => got.push(r.deliveryCount), () => got.length === 4);
    const letters = await waitFor(() => s.deadLetters(def.name), (l) => l.length === 2);
    expect(letters.map((l) => [l.reason, l.deliveryCount])).toEqual([
      ["ack deadline exceeded", 2],
      ["ack deadline exceeded", 2],
    ]);
    c.close();
    await s.close();
    const after = subscriptions(await fixture.reopen());
    expect(await after.redrive(def.name, [])).toBe(2);
    const c2 = await after.consume(def.name, 10);
    const again: number[] = [];
    await drain(c2, (r) => (again.push(n(r)), c2.ack([r.ackId])), () => again.length === 2);
    expect(again.sort()).toEqual([0, 1]);
    await waitFor(() => after.deadLetters(def.name), (l) => l.length === 0);
    c2.close();
  });

  it("remembers acknowledgements across a restart: nothing acknowledged comes again, nothing is lost", async () => {
    const s = subscriptions();
    const p = product();
    const def = await s.create(definition(p, { ackDeadlineMs: 30_000 }));
    await publish(p, 0, 400);
    const c = await s.consume(def.name, 400);
    const acked = new Set<number>();
    // Acknowledged out of order: every third one waits (held, unacknowledged) when the platform stops.
    await drain(c, (r) => (n(r) % 3 !== 0 ? (acked.add(n(r)), c.ack([r.ackId])) : undefined), () => acked.size >= 200);
    await s.close();
    const after = subscriptions(await fixture.reopen());
    const c2 = await after.consume(def.name, 100);
    const redelivered: number[] = [];
    await drain(
      c2,
      (r) => {
        if (acked.has(n(r))) redelivered.push(n(r));
        acked.add(n(r));
        c2.ack([r.ackId]);
      },
      () => acked.size === 400,
    );
    expect(redelivered).toEqual([]);
    expect(await quiet(c2, 300)).toBe(0);
    c2.close();
  });

  if (options.shared) {
    it("shares a subscription's partitions between two instances; the events one held go to the other when it stops", async () => {
      const a = subscriptions();
      const b = subscriptions(await fixture.reopen());
      const p = product();
      const def = await a.create(definition(p, { ackDeadlineMs: 30_000 }));
      // B learns of it from the shared store.
      await waitFor(() => b.list().some((d) => d.name === def.name), (known) => known);
      const held: number[] = [];
      const acked = new Set<number>();
      const onA = await a.consume(def.name, 10_000);
      const onB = await b.consume(def.name, 10_000);
      // A holds what it gets; B acknowledges.
      const loopA = (async () => {
        for await (const r of onA) held.push(n(r));
      })();
      const loopB = (async () => {
        for await (const r of onB) (acked.add(n(r)), onB.ack([r.ackId]));
      })();
      // Published in rounds until both have had some: the group gives each instance a partition once both have joined.
      let published = 0;
      const deadline = Date.now() + 30_000;
      while (!(held.length > 0 && acked.size > 0)) {
        if (Date.now() > deadline) throw new Error(`the instances did not share the work: A held ${held.length}, B acknowledged ${acked.size}`);
        await publish(p, published, 20);
        published += 20;
        await new Promise((r) => setTimeout(r, 200));
      }
      await a.close();
      await loopA;
      // A left the group: its partition, and what it held there unacknowledged, are B's now.
      await waitFor(() => acked.size, (size) => size === published, 30_000);
      for (const x of held) expect(acked.has(x)).toBe(true);
      onB.close();
      await loopB;
    });
  }
}

async function waitFor<T>(get: () => T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
