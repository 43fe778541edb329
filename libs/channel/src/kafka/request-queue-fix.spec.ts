import "./request-queue-fix";

// kafkajs's own request queue, as its connections use it: `push` sends a request or queues it,
// `fulfillRequest` is an answer, `maybeThrottle` a broker's throttle time.
interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  push(r: { entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number; resolve(): void; reject(): void }; expectResponse: boolean; sendRequest(): void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}
const RequestQueue = require("kafkajs/src/network/requestQueue") as new (options: object) => Queue;
const silent = { debug: () => undefined, warn: () => undefined, info: () => undefined, error: () => undefined };

describe("the kafkajs request queue fix", () => {
  let queue: Queue;
  const sent: number[] = [];
  const request = (correlationId: number) => ({
    entry: { correlationId, apiKey: 0, apiName: "Produce", apiVersion: 3, resolve: () => undefined, reject: () => undefined },
    expectResponse: true,
    sendRequest: () => void sent.push(correlationId),
  });
  const answer = (correlationId: number) => queue.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });

  beforeEach(() => {
    sent.length = 0;
    queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: "spec", broker: "127.0.0.1:1", logger: silent });
  });
  afterEach(() => queue.destroy());

  it("is read against kafkajs 2.2.4: another version must be read again", () => {
    expect((require("kafkajs/package.json") as { version: string }).version).toBe("2.2.4");
  });

  it("leaves no timer behind an answer when nothing waits and no throttle is in force (kafkajs re-armed one every millisecond)", () => {
    queue.push(request(1));
    answer(1);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it("still sends a request that waited for the one in flight, when that one is answered, and then stops checking", async () => {
    queue.push(request(1));
    queue.push(request(2));
    expect(sent).toEqual([1]);
    answer(1);
    expect(sent).toEqual([1, 2]);
    answer(2);
    // The check armed when request 2 had to wait runs once (after 10 ms), and arms no other.
    await new Promise((r) => setTimeout(r, 50));
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it("still sends a request queued under a broker's throttle once the throttle ends", async () => {
    queue.maybeThrottle(30);
    queue.push(request(1));
    expect(sent).toEqual([]);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toEqual([1]);
  });
});
