import { randomUUID } from "node:crypto";
import { tempDir } from "../../../test/harness/temp";
import { EmbeddedChannel } from "./embedded/embedded-channel";
import { IdempotentAppender, type IdempotencyWindow } from "./idempotency";

// The window's bounds, on the embedded adapter (the contract suite covers repeats on both adapters).
describe("idempotency window", () => {
  const event = (id: string) => ({ product: "p", event: { specversion: "1.0" as const, id, source: "/s", type: "t", extensions: {}, data: Buffer.from("{}") } });
  const channels: EmbeddedChannel[] = [];
  const open = (idempotency: IdempotencyWindow, dir = tempDir("idem")) => {
    const c = EmbeddedChannel.open(dir, { idempotency });
    channels.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(channels.splice(0).map((c) => c.close()));
  });

  it("forgets the oldest beyond its count, also when rebuilt after a restart", async () => {
    const dir = tempDir("idem");
    const first = open({ events: 2 }, dir);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const positions = await first.publish(ids.map(event));
    expect(await first.publish([event(ids[2]!)])).toEqual([positions[2]]);
    expect(await first.publish([event(ids[0]!)])).not.toEqual([positions[0]]);
    await first.close();
    // Rebuilt from the last 2 records: ids[2] and the second ids[0]; ids[1] is stored again.
    const second = open({ events: 2 }, dir);
    const [again2] = await second.publish([event(ids[2]!)]);
    expect(again2).toBe(positions[2]);
    expect(await second.publish([event(ids[1]!)])).not.toEqual([positions[1]]);
  });

  it("forgets what is older than its time", async () => {
    const c = open({ ms: 200 });
    const id = randomUUID();
    const [first] = await c.publish([event(id)]);
    expect(await c.publish([event(id)])).toEqual([first]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.publish([event(id)])).not.toEqual([first]);
  });

  it("keeps no entry for an event whose id the platform just made (it cannot be a repeat)", async () => {
    const c = open({});
    const made = { ...event(randomUUID()), newId: true };
    const [a] = await c.publish([made]);
    const [b] = await c.publish([made]);
    expect(b).not.toBe(a);
  });

  it("is off with a window of 0 events", async () => {
    const c = open({ events: 0 });
    const id = randomUUID();
    const [a] = await c.publish([event(id)]);
    expect(await c.publish([event(id)])).not.toEqual([a]);
  });

  it("shares a failed store's error with a racing repeat, and stores a later retry", async () => {
    const log = open({ events: 0 });
    let fail = true;
    const appender = new IdempotentAppender(
      log,
      async (events) => {
        await new Promise((r) => setTimeout(r, 20));
        if (fail) throw new Error("broker gone");
        return log.publish(events);
      },
      {},
      new AbortController().signal,
    );
    const id = randomUUID();
    const results = await Promise.allSettled([appender.publish([event(id)]), appender.publish([event(id)])]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    const [stored] = await appender.publish([event(id)]);
    expect(await appender.publish([event(id)])).toEqual([stored]);
    expect((await log.fetch({ products: ["p"] }, undefined, 10, 0)).deliveries.map((d) => d.event.id)).toEqual([id]);
  });
});
