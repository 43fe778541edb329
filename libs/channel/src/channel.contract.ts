import { randomUUID } from "node:crypto";
import type { CloudEvent } from "@meshstream/cloudevents";
import { ChannelClosedError, ChannelError, InvalidPositionError } from "./errors";
import type { Delivery, EventChannel, StartPosition } from "./event-channel";
import { decodePosition, encodePosition } from "./position";

/** A broker the test may kill (SIGKILL) and restart, and channels on it: for adapters that have one. */
export interface BrokerOutage {
  open(): Promise<EventChannel>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/**
 * The behaviour every EventChannel adapter must have. Each adapter's spec
 * calls this unchanged with a factory for fresh channels.
 *
 * The invariants of every read path, stated once here: per partition, events
 * come in offset order, with no gap and no duplicate, also across a resume
 * from any position given and through a broker outage; a reader that cannot
 * keep them ends with an error carrying a position to resume from. A publish
 * call's events of one partition are stored in the call's order; calls in
 * flight together have no order between them.
 */
export function channelContract(
  open: () => Promise<EventChannel>,
  options: {
    settleMs?: number;
    outage?: BrokerOutage;
    /** Opens channels on one storage (the same folder, the same topics), one after the other: a restart. */
    storage: () => () => Promise<EventChannel>;
  },
): void {
  // How long a subscription from "latest" may take to be in place (a broker needs a moment).
  const settle = () => new Promise((r) => setTimeout(r, options.settleMs ?? 0));
  let channel: EventChannel;
  beforeAll(async () => {
    channel = await open();
  });
  afterAll(() => channel.close());

  const product = () => `contract-${randomUUID().slice(0, 8)}`;
  const event = (type: string, n: number, extensions: Record<string, string> = {}): CloudEvent => ({
    specversion: "1.0",
    id: `${type}-${n}-${randomUUID()}`,
    source: "/contract",
    type,
    datacontenttype: "application/json",
    extensions,
    data: Buffer.from(JSON.stringify({ n })),
  });
  const publish_ = (c: EventChannel, p: string, events: CloudEvent[]) => c.publish(events.map((e) => ({ product: p, event: e })));
  const publish = (p: string, events: CloudEvent[]) => publish_(channel, p, events);
  const n = (d: Delivery) => (JSON.parse(Buffer.from(d.event.data!).toString()) as { n: number }).n;

  async function take(iterable: AsyncIterable<Delivery>, count: number, timeoutMs = 20_000): Promise<Delivery[]> {
    const out: Delivery[] = [];
    if (count === 0) return out;
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
    const it = iterable[Symbol.asyncIterator]();
    try {
      while (out.length < count) {
        const next = await Promise.race([it.next(), timer]);
        if (next === "timeout") throw new Error(`got ${out.length} of ${count} deliveries in ${timeoutMs} ms`);
        if (next.done) break;
        out.push(next.value);
      }
    } finally {
      void it.return?.();
    }
    return out;
  }

  const subscribe = (p: string, start: StartPosition, filter: { types?: string[]; typePrefixes?: string[]; sources?: string[] } = {}) =>
    channel.subscribe({ products: [p], ...filter }, start);

  it("resolves one position per event, in order", async () => {
    const p = product();
    const positions = await publish(p, [event("a", 1), event("a", 2), event("a", 3)]);
    expect(positions).toHaveLength(3);
    expect(new Set(positions).size).toBe(3);
  });

  it("keeps the order of events per key", async () => {
    const p = product();
    const events = Array.from({ length: 60 }, (_, i) => event("ordered", i, { partitionkey: `k${i % 3}` }));
    for (let i = 0; i < events.length; i += 7) await publish(p, events.slice(i, i + 7));
    const got = await take(subscribe(p, { kind: "earliest" }), 60);
    for (const key of ["k0", "k1", "k2"]) {
      const ns = got.filter((d) => d.event.extensions.partitionkey === key).map(n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(ns).toHaveLength(20);
    }
  });

  it("gives every subscriber every matching event (fan-out)", async () => {
    const p = product();
    const subs = [0, 1, 2].map(() => take(subscribe(p, { kind: "latest" }), 10));
    await settle();
    await publish(p, Array.from({ length: 10 }, (_, i) => event("fan", i)));
    for (const got of await Promise.all(subs)) expect(got.map(n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("delivers events published one by one, each not awaited, while it waits", async () => {
    const p = product();
    const got = take(subscribe(p, { kind: "latest" }), 200);
    await settle();
    // A publish still in flight when the reader looks must not make it spin (and starve the loop).
    const publishes: Promise<string[]>[] = [];
    for (let i = 0; i < 200; i++) {
      publishes.push(publish(p, [event("paced", i)]));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(publishes);
    expect((await got).map(n).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("filters by exact type, type prefix and source", async () => {
    const p = product();
    await publish(p, [event("shop.order.created", 1), event("shop.order.paid", 2), event("shop.refund", 3), { ...event("other", 4), source: "/elsewhere" }]);
    const exact = await channel.fetch({ products: [p], types: ["shop.order.paid"] }, undefined, 10, 0);
    expect(exact.deliveries.map(n)).toEqual([2]);
    const prefix = await channel.fetch({ products: [p], typePrefixes: ["shop.order."] }, undefined, 10, 0);
    expect(prefix.deliveries.map(n)).toEqual([1, 2]);
    const source = await channel.fetch({ products: [p], sources: ["/elsewhere"] }, undefined, 10, 0);
    expect(source.deliveries.map(n)).toEqual([4]);
    const both = await take(subscribe(p, { kind: "earliest" }, { types: ["shop.refund"], typePrefixes: ["shop.order.p"] }), 2);
    expect(both.map(n)).toEqual([2, 3]);
  });

  it("tests decoded events with a predicate after the header tests", async () => {
    const p = product();
    await publish(p, Array.from({ length: 40 }, (_, i) => event(i % 2 ? "odd" : "even", i)));
    const seen: number[] = [];
    const filter = { products: [p], types: ["even"], predicate: (e: CloudEvent) => (seen.push(e.data!.length), n({ event: e, position: "", partition: "", offset: 0n }) % 4 === 0) };
    expect((await take(channel.subscribe(filter, { kind: "earliest" }), 10)).map(n)).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    // Records of other types were not decoded for it.
    expect(seen.length).toBeLessThanOrEqual(20);
    expect((await channel.fetch(filter, undefined, 3, 0)).deliveries.map(n)).toEqual([0, 4, 8]);
  });

  it("fills a fetch page when few stored events match, and long-polls for a matching one", async () => {
    const p = product();
    await publish(p, Array.from({ length: 1500 }, (_, i) => event("sparse", i)));
    const predicate = (e: CloudEvent) => n({ event: e, position: "", partition: "", offset: 0n }) % 300 === 299;
    const page = await channel.fetch({ products: [p], predicate }, undefined, 10, 0);
    expect(page.deliveries.map(n)).toEqual([299, 599, 899, 1199, 1499]);
    const t = Date.now();
    const waiting = channel.fetch({ products: [p], predicate }, page.cursor, 10, 10_000);
    setTimeout(() => void publish(p, [event("sparse", 1500), event("sparse", 1799)]), 300);
    expect((await waiting).deliveries.map(n)).toEqual([1799]);
    expect(Date.now() - t).toBeLessThan(8000);
  });

  it("starts at latest, earliest, after a position, or at a time", async () => {
    const p = product();
    const before = await publish(p, [event("s", 1), event("s", 2), event("s", 3)]);
    await new Promise((r) => setTimeout(r, 50));
    const midTime = new Date();
    await new Promise((r) => setTimeout(r, 50));
    await publish(p, [event("s", 4), event("s", 5)]);

    expect((await take(subscribe(p, { kind: "earliest" }), 5)).map(n)).toEqual([1, 2, 3, 4, 5]);
    expect((await take(subscribe(p, { kind: "after", position: before[1]! }), 3)).map(n)).toEqual([3, 4, 5]);
    expect((await take(subscribe(p, { kind: "time", time: midTime }), 2)).map(n)).toEqual([4, 5]);

    const latest = take(subscribe(p, { kind: "latest" }), 1);
    await settle();
    await publish(p, [event("s", 6)]);
    expect((await latest).map(n)).toEqual([6]);
  });

  it("resumes after the last position seen with no gap and no duplicate", async () => {
    const p = product();
    await publish(p, Array.from({ length: 30 }, (_, i) => event("r", i, { partitionkey: `k${i % 2}` })));
    const first = await take(subscribe(p, { kind: "earliest" }), 12);
    const rest = await take(subscribe(p, { kind: "after", position: first.at(-1)!.position }), 18);
    const all = [...first, ...rest].map(n).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it("pages with fetch and its cursor", async () => {
    const p = product();
    await publish(p, Array.from({ length: 12 }, (_, i) => event("page", i)));
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 4; page++) {
      const r = await channel.fetch({ products: [p] }, cursor, 5, 0);
      seen.push(...r.deliveries.map(n));
      cursor = r.cursor;
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it("long-polls: an empty fetch waits for the next event, or for its time", async () => {
    const p = product();
    await publish(p, [event("poll", 0)]);
    const { cursor } = await channel.fetch({ products: [p] }, undefined, 10, 0);
    let t = Date.now();
    const empty = await channel.fetch({ products: [p] }, cursor, 10, 400);
    expect(empty.deliveries).toEqual([]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(350);
    t = Date.now();
    const waiting = channel.fetch({ products: [p] }, cursor, 10, 10_000);
    setTimeout(() => void publish(p, [event("poll", 1)]), 300);
    const page = await waiting;
    expect(page.deliveries.map(n)).toEqual([1]);
    expect(Date.now() - t).toBeLessThan(8000);
  });

  it("ends a long poll when its signal aborts, holding no reader after", async () => {
    const p = product();
    await publish(p, [event("cancelled-poll", 0)]);
    const { cursor } = await channel.fetch({ products: [p] }, undefined, 10, 0);
    const controller = new AbortController();
    const t = Date.now();
    const waiting = channel.fetch({ products: [p] }, cursor, 10, 20_000, controller.signal);
    setTimeout(() => controller.abort(), 200);
    const page = await waiting;
    expect(page).toEqual({ deliveries: [], cursor });
    expect(Date.now() - t).toBeLessThan(5000);
    expect(channel.stats().subscriptions).toBe(0);
  });

  it("holds a subscriber that stops reading to a bounded buffer", async () => {
    const p = product();
    const stalled = subscribe(p, { kind: "latest" })[Symbol.asyncIterator]();
    const first = stalled.next();
    await settle();
    await publish(p, [event("slow", 0)]);
    await first;
    const heapBefore = process.memoryUsage().heapUsed;
    const payload = "x".repeat(2000);
    for (let i = 0; i < 20; i++) {
      await publish(p, Array.from({ length: 250 }, (_, j) => ({ ...event("slow", 1 + i * 250 + j), data: Buffer.from(JSON.stringify({ n: 1 + i * 250 + j, payload })) })));
    }
    await new Promise((r) => setTimeout(r, 500));
    const buffered = channel.stats().bufferedRecords;
    // 5,000 events of 2 kB were published past a reader that reads none.
    expect(buffered).toBeLessThanOrEqual(2048);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
    // And it still gets everything once it reads again.
    const next = await stalled.next();
    expect(n(next.value as Delivery)).toBe(1);
    await stalled.return?.();
  });

  it("releases a subscription, its listener and its timer when its consumer stops", async () => {
    const p = product();
    const before = channel.stats();
    const controller = new AbortController();
    const iterating = (async () => {
      for await (const _ of channel.subscribe({ products: [p] }, { kind: "latest" }, { signal: controller.signal })) {
        // never reached
      }
    })();
    // Waiting for the next append is where an idle subscription rests.
    for (let i = 0; i < 200 && channel.stats().waiters === before.waiters; i++) await new Promise((r) => setTimeout(r, 50));
    expect(channel.stats()).toMatchObject({ subscriptions: before.subscriptions + 1, waiters: before.waiters + 1 });
    controller.abort();
    await iterating;
    expect(channel.stats()).toMatchObject({ subscriptions: before.subscriptions, waiters: before.waiters });
  });

  it("stores each of concurrent publish calls in its own order, a call larger than one produce request too, every event once", async () => {
    const p = product();
    const callOf: number[] = [];
    const calls: Promise<string[]>[] = [];
    // 300 calls of 1 to 3 events and one of 12,000 among them, each made before the previous one resolved.
    for (let i = 0; i < 300; i++) {
      const events = Array.from({ length: i === 150 ? 12_000 : 1 + (i % 3) }, () => event("concurrent", callOf.push(i) - 1, { partitionkey: "one" }));
      calls.push(publish(p, events));
    }
    await Promise.all(calls);
    const stored: number[] = [];
    let cursor: string | undefined;
    while (stored.length < callOf.length) {
      const page = await channel.fetch({ products: [p] }, cursor, 1000, 5000);
      if (page.deliveries.length === 0) break;
      stored.push(...page.deliveries.map(n));
      cursor = page.cursor;
    }
    expect([...stored].sort((x, y) => x - y)).toEqual(callOf.map((_, k) => k));
    // Events are numbered in call order: within one call, the stored order rises.
    const lastOfCall = new Map<number, number>();
    const outOfOrder = stored.filter((k) => {
      const before = lastOfCall.get(callOf[k]!) ?? -1;
      lastOfCall.set(callOf[k]!, k);
      return k < before;
    });
    expect(outOfOrder).toEqual([]);
  });

  it("reads products added to a running subscription as if read from its start (a type registered later)", async () => {
    const [p1, p2] = [product(), product()];
    await publish(p2, [event("grow.before", 0)]);
    let announce!: (products: readonly string[]) => void;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const controller = new AbortController();
    const filter = { products: [p1], typePrefixes: ["grow."], watchProducts: (listener: (products: readonly string[]) => void) => ((announce = listener), () => (announce = () => undefined)) };
    const got = take(channel.subscribe(filter, { kind: "latest" }, { signal: controller.signal, onReady: ready }), 3);
    await isReady;
    await settle();
    await publish(p1, [event("grow.a", 1)]);
    // Stored before the subscription hears of its product (the catalog is a moment behind): delivered all the same.
    await publish(p2, [event("grow.b", 2), event("other", 99)]);
    await new Promise((r) => setTimeout(r, 200));
    announce([p1, p2]);
    await publish(p2, [event("grow.b", 3)]);
    expect((await got).map(n).sort()).toEqual([1, 2, 3]);
    controller.abort();
  });

  describe("idempotent publish", () => {
    const all = async (c: EventChannel, p: string) => {
      const out: Delivery[] = [];
      for (let cursor: string | undefined, page; (page = await c.fetch({ products: [p] }, cursor, 1000, 0)).deliveries.length > 0; cursor = page.cursor) {
        out.push(...page.deliveries);
      }
      return out;
    };

    it("stores a repeated (source, id) once, also from racing calls and within one call, and answers it with the first position", async () => {
      const p = product();
      const once = event("idem", 1);
      const [[first], [second], [third, again]] = await Promise.all([publish(p, [once]), publish(p, [once]), publish(p, [once, once])]);
      expect([second, third, again]).toEqual([first, first, first]);
      const [two, repeat] = await publish(p, [event("idem", 2), once]);
      expect(repeat).toBe(first);
      expect(two).not.toBe(first);
      // Same id from another source, same source with another id: other events.
      const [otherSource] = await publish(p, [{ ...once, source: "/elsewhere" }]);
      const [otherId] = await publish(p, [{ ...once, id: `${once.id}-2` }]);
      expect(new Set([first, otherSource, otherId]).size).toBe(3);
      const stored = await all(channel, p);
      expect(stored.map((d) => `${d.event.source} ${d.event.id}`)).toEqual([`/contract ${once.id}`, expect.stringContaining("idem-2"), `/elsewhere ${once.id}`, `/contract ${once.id}-2`]);
    });

    it("recognises a repeat after a restart: same position, nothing stored again", async () => {
      const p = product();
      const opener = options.storage();
      const before = await opener();
      const events = [event("restart", 1), event("restart", 2)];
      let positions: string[];
      try {
        positions = await publish_(before, p, events);
      } finally {
        await before.close();
      }
      const after = await opener();
      try {
        const fresh = event("restart", 3);
        const [a, b, c] = await Promise.all([publish_(after, p, [events[1]!]), publish_(after, p, [events[1]!, fresh]), publish_(after, p, [events[0]!])]);
        expect([a![0], b![0], c![0]]).toEqual([positions[1], positions[1], positions[0]]);
        expect(b![1]).not.toBe(positions[1]);
        expect((await all(after, p)).map(n)).toEqual([1, 2, 3]);
      } finally {
        await after.close();
      }
    });
  });

  it("refuses a position it did not give: another product's, an unknown partition, past the end, negative, not a position", async () => {
    const p = product();
    const other = product();
    const [mine] = await publish(p, [event("forged", 0)]);
    const [theirs] = await publish(other, [event("forged", 0)]);
    const [[partition, offset]] = [...decodePosition(mine!)] as [[string, bigint]];
    const raw = (pairs: [string, string][]) => Buffer.from(JSON.stringify(pairs)).toString("base64url");
    const forged = {
      "another product's": theirs!,
      "an unknown partition": encodePosition(new Map([[partition.replace(/\d+$/, "7"), offset]])),
      "an offset of 2^64": encodePosition(new Map([[partition, 2n ** 64n]])),
      "an offset past the end": encodePosition(new Map([[partition, offset + 1n]])),
      "a negative offset": raw([[partition, "-1"]]),
      "not a position": "not-a-position",
    };
    for (const [what, position] of Object.entries(forged)) {
      const fetched = await channel.fetch({ products: [p] }, position, 10, 0).catch((e: unknown) => e);
      expect([what, fetched]).toEqual([what, expect.any(InvalidPositionError)]);
      const subscribed = await subscribe(p, { kind: "after", position })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
      expect([what, subscribed]).toEqual([what, expect.any(InvalidPositionError)]);
      expect((fetched as Error).message).toMatch(/^invalid position: /);
    }
    // What the channel did give is accepted.
    expect((await channel.fetch({ products: [p] }, mine, 10, 0)).deliveries).toEqual([]);
  });

  if (options.outage) {
    const outage = options.outage;
    it("keeps a live reader and a fetch pager gap-free through a broker killed and restarted under them", async () => {
      const writer = await outage.open();
      const p = product();
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const idOf = (d: Delivery) => d.event.id;
      try {
        await writer.publish([{ product: p, event: event("outage", -1) }]);
        // The live reader: resumes from the position its error carries, as a client does with start.after.
        const live: Delivery[] = [];
        const stop = new AbortController();
        let liveErrors = 0;
        let ready!: () => void;
        const positioned = new Promise<void>((r) => (ready = r));
        const reading = (async () => {
          let start: StartPosition = { kind: "latest" };
          while (!stop.signal.aborted) {
            try {
              for await (const d of writer.subscribe({ products: [p] }, start, { signal: stop.signal, onReady: ready })) {
                live.push(d);
                start = { kind: "after", position: d.position };
              }
            } catch (err) {
              if (!(err instanceof ChannelError)) throw err;
              liveErrors++;
              if (err.position) start = { kind: "after", position: err.position };
              await sleep(200);
            }
          }
        })();
        await positioned;
        // The pager: retries the same cursor after an error.
        const paged: Delivery[] = [];
        let cursor: string | undefined;
        let paging = true;
        const pager = (async () => {
          while (paging) {
            try {
              const page = await writer.fetch({ products: [p] }, cursor, 100, 200);
              paged.push(...page.deliveries);
              cursor = page.cursor;
            } catch (err) {
              if (!(err instanceof ChannelError)) throw err;
              await sleep(200);
            }
          }
        })();
        // The producer: one event at a time, each awaited, so what is acknowledged is stored in this order.
        const acknowledged: string[] = [];
        let refused = 0;
        let producing = true;
        let i = 0;
        const producer = (async () => {
          while (producing) {
            const e = event("outage", i++);
            try {
              await writer.publish([{ product: p, event: e }]);
              acknowledged.push(e.id);
            } catch {
              refused++;
            }
            await sleep(5);
          }
        })();
        await sleep(1000);
        await outage.kill();
        await sleep(3000);
        await outage.restart();
        await sleep(2000);
        producing = false;
        await producer;
        // Both readers catch up with everything acknowledged.
        const deadline = Date.now() + 90_000;
        const has = (got: Delivery[]) => new Set(got.map(idOf));
        while ((acknowledged.some((id) => !has(live).has(id)) || acknowledged.some((id) => !has(paged).has(id))) && Date.now() < deadline) await sleep(100);
        stop.abort();
        paging = false;
        await Promise.all([reading, pager]);

        // The log as a fresh reader sees it, from the start.
        const reader = await outage.open();
        const stored: Delivery[] = [];
        let c: string | undefined;
        for (;;) {
          const page = await reader.fetch({ products: [p] }, c, 1000, 1000);
          if (page.deliveries.length === 0) break;
          stored.push(...page.deliveries);
          c = page.cursor;
        }
        const truth = stored.map(idOf);
        expect(refused).toBeGreaterThan(0); // the outage was felt
        expect(acknowledged.filter((id) => !truth.includes(id))).toEqual([]);
        // Exactly the log, in its order, with no gap and no duplicate: the pager from the start, the live reader from where it began.
        expect(paged.map(idOf)).toEqual(truth);
        expect(live.map(idOf)).toEqual(truth.slice(truth.indexOf(live[0]!.event.id)));
        expect(live[0]!.event.id).toBe(truth[1]);
        // Resuming after any position delivered gives the rest, with no gap.
        for (const k of [0, Math.floor(live.length / 3), Math.floor((2 * live.length) / 3), live.length - 2]) {
          const rest: string[] = [];
          let after = live[k]!.position;
          while (rest.length < live.length - k - 1) {
            const page = await reader.fetch({ products: [p] }, after, 1000, 1000);
            if (page.deliveries.length === 0) break;
            rest.push(...page.deliveries.map(idOf));
            after = page.cursor;
          }
          expect(rest).toEqual(live.slice(k + 1).map(idOf));
        }
        process.stderr.write(`outage: ${acknowledged.length} acknowledged, ${refused} refused, ${truth.length} stored; live reader ${live.length} (${liveErrors} errors), pager ${paged.length}\n`);
        await reader.close();
      } finally {
        await writer.close();
      }
    }, 240_000);
  }

  it("refuses to publish after close, with a clear error", async () => {
    const closing = await open();
    await closing.close();
    const err: unknown = await closing.publish([{ product: product(), event: event("late", 0) }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelClosedError);
    expect((err as Error).message).toBe("the event channel is closed");
  });
}
