import { ProduceQueue, type QueuedCall, type QueuedRecord } from "./produce-queue";

interface Record_ extends QueuedRecord {
  readonly name: string;
  readonly call: QueuedCall & { settled: boolean };
}

/** A queue whose requests end when the test says, each seen as (lane, names). */
function queue(options: Partial<ConstructorParameters<typeof ProduceQueue>[0]> = {}) {
  const requests: { lane: number; names: string[]; end(): void }[] = [];
  const q = new ProduceQueue<Record_>(
    { lanes: 3, maxBatch: 100, maxBatchBytes: 1000, lingerMs: 0, ...options },
    (lane, batch) => new Promise<void>((end) => requests.push({ lane, names: batch.map((r) => r.name), end })),
  );
  const call = (name: string, size: number, bytes = 1) => {
    const c = { settled: false, requests: 0 };
    q.push(Array.from({ length: size }, (_, i) => ({ name: `${name}${i}`, at: performance.now(), bytes, call: c })));
    return c;
  };
  const settle = () => new Promise((r) => setImmediate(r));
  return { q, requests, call, settle, sent: () => requests.map((r) => r.names.join(",")) };
}

describe("ProduceQueue", () => {
  it("sends a call that comes while a request is in flight at once, through another lane, up to the lanes there are", async () => {
    const { requests, call, sent, settle } = queue({ lanes: 2 });
    call("a", 1);
    call("b", 1);
    call("c", 1);
    expect(sent()).toEqual(["a0", "b0"]);
    expect(new Set(requests.map((r) => r.lane)).size).toBe(2);
    // c waits for a free lane, and takes the one that ended.
    requests[1]!.end();
    await settle();
    expect(sent()).toEqual(["a0", "b0", "c0"]);
    expect(requests[2]!.lane).toBe(requests[1]!.lane);
  });

  it("sends the rest of a call larger than one request only once its first part ended, though lanes are free", async () => {
    const { requests, call, sent, settle } = queue({ maxBatch: 2 });
    call("a", 5);
    call("b", 1);
    expect(sent()).toEqual(["a0,a1"]);
    requests[0]!.end();
    await settle();
    expect(sent()).toEqual(["a0,a1", "a2,a3"]);
    requests[1]!.end();
    await settle();
    // a4 and b0 fill one request of 2.
    expect(sent()).toEqual(["a0,a1", "a2,a3", "a4,b0"]);
  });

  it("cuts a request at maxBatchBytes, a record larger than that alone", () => {
    const { call, sent } = queue({ maxBatchBytes: 10 });
    call("big", 1, 50);
    expect(sent()).toEqual(["big0"]);
    call("s", 4, 4);
    // The next request: 4 + 4 bytes, then a third of 4 would pass 10.
    expect(sent()).toEqual(["big0", "s0,s1"]);
  });

  it("does not send the records of a call answered meanwhile (timed out, or its first part failed)", async () => {
    const { requests, call, sent, settle } = queue({ lanes: 1, maxBatch: 1 });
    call("a", 1);
    const b = call("b", 2);
    b.settled = true;
    call("c", 1);
    requests[0]!.end();
    await settle();
    expect(sent()).toEqual(["a0", "c0"]);
  });

  it("lingers a request started while another is in flight, for more to join it; never one with none in flight", async () => {
    const lingerMs = 300;
    const { requests, call, sent, settle } = queue({ lingerMs });
    // None in flight: at once.
    call("a", 1);
    expect(sent()).toEqual(["a0"]);
    // While a0 is in flight: b waits for more, and c joins it.
    const queued = performance.now();
    call("b", 1);
    call("c", 1);
    expect(sent()).toHaveLength(1);
    while (requests.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(performance.now() - queued).toBeGreaterThan(lingerMs * 0.8);
    expect(sent()[1]).toBe("b0,c0");
    // With both ended, none in flight: at once again.
    requests.forEach((r) => r.end());
    await settle();
    call("d", 1);
    expect(sent()[2]).toBe("d0");
  });

  it("does not linger a request that is full (maxBatch records)", () => {
    const { call, sent } = queue({ lingerMs: 10_000, maxBatch: 2 });
    call("a", 1);
    call("b", 2);
    expect(sent()).toEqual(["a0", "b0,b1"]);
  });

  it("gives back what it had not sent when closed, and sends nothing more", async () => {
    const { q, requests, call, sent, settle } = queue({ lanes: 1 });
    call("a", 1);
    call("b", 2);
    expect(q.close().map((r) => r.name)).toEqual(["b0", "b1"]);
    requests[0]!.end();
    await settle();
    call("c", 1);
    expect(sent()).toEqual(["a0"]);
  });
});
