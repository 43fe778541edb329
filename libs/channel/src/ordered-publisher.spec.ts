import type { CloudEvent } from "@meshstream/cloudevents";
import type { EventChannel, OutgoingEvent } from "./event-channel";
import { OrderedPublisher } from "./ordered-publisher";

const event = (id: string, product = "p"): OutgoingEvent => ({ product, event: { specversion: "1.0", id, source: "/s", type: "t", extensions: {} } satisfies CloudEvent });

/** A channel that records the calls it gets and stores at once. */
function recordingChannel(): EventChannel & { calls: string[][] } {
  const calls: string[][] = [];
  let offset = 0;
  return {
    calls,
    publish: (events) => {
      calls.push(events.map((e) => e.event.id));
      return Promise.resolve(events.map(() => String(++offset)));
    },
  } as EventChannel & { calls: string[][] };
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("OrderedPublisher", () => {
  it("hands events to the channel in submission order, whatever order their preparations end in", async () => {
    const channel = recordingChannel();
    const publisher = new OrderedPublisher(channel);
    const slow = deferred<OutgoingEvent>();
    const results = [publisher.submit(slow.promise), publisher.submit(event("b")), publisher.submit(Promise.resolve(event("c")))];
    await new Promise((r) => setImmediate(r));
    expect(channel.calls).toEqual([]); // b and c wait for a
    slow.resolve(event("a"));
    expect(await Promise.all(results)).toEqual(["1", "2", "3"]);
    expect(channel.calls).toEqual([["a", "b", "c"]]);
  });

  it("answers a failed preparation at once and publishes the rest", async () => {
    const channel = recordingChannel();
    const publisher = new OrderedPublisher(channel);
    const results = await Promise.allSettled([publisher.submit(event("a")), publisher.submit(Promise.reject(new Error("invalid"))), publisher.submit(event("c"))]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual(["1", "invalid", "2"]);
    expect(channel.calls).toEqual([["a", "c"]]);
  });

  it("keeps one call in flight: what is ready meanwhile goes in the next call, once that one settled", async () => {
    const calls: string[][] = [];
    const answers: { resolve(positions: string[]): void }[] = [];
    const channel = {
      publish: (events: readonly OutgoingEvent[]) => {
        calls.push(events.map((e) => e.event.id));
        return new Promise<string[]>((resolve) => answers.push({ resolve }));
      },
    };
    const publisher = new OrderedPublisher(channel);
    const a = publisher.submit(event("a"));
    await new Promise((r) => setImmediate(r));
    const rest = [publisher.submit(event("b")), publisher.submit(event("c"))];
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([["a"]]); // b and c wait for a's call
    answers[0]!.resolve(["1"]);
    expect(await a).toBe("1");
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([["a"], ["b", "c"]]);
    answers[1]!.resolve(["2", "3"]);
    expect(await Promise.all(rest)).toEqual(["2", "3"]);
  });

  it("caps a call to the channel at maxBatch events", async () => {
    const channel = recordingChannel();
    const publisher = new OrderedPublisher(channel, 2);
    await Promise.all(["a", "b", "c", "d", "e"].map((id) => publisher.submit(event(id))));
    expect(channel.calls).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });

  it("rejects every event of a call the channel refuses", async () => {
    const publisher = new OrderedPublisher({ publish: () => Promise.reject(new Error("down")) } as unknown as EventChannel);
    const results = await Promise.allSettled([publisher.submit(event("a")), publisher.submit(event("b"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
