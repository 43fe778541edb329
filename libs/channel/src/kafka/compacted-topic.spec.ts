import { AppliedOffset } from "./compacted-topic";

describe("AppliedOffset", () => {
  const timedOut = () => new Error("timed out");

  it("answers a write at once when its record is applied already", async () => {
    const applied = new AppliedOffset();
    applied.advance(5n);
    await expect(applied.reached(5n, 1000, timedOut)).resolves.toBeUndefined();
    await expect(applied.reached(0n, 1000, timedOut)).resolves.toBeUndefined();
  });

  it("answers each waiting write once the store applies its record, not before", async () => {
    const applied = new AppliedOffset();
    const settled: bigint[] = [];
    const waits = [3n, 1n, 2n].map((offset) => applied.reached(offset, 5000, timedOut).then(() => void settled.push(offset)));
    applied.advance(0n);
    await new Promise((r) => setImmediate(r));
    expect(settled).toEqual([]);
    applied.advance(2n);
    await new Promise((r) => setImmediate(r));
    expect(settled.sort()).toEqual([1n, 2n]);
    applied.advance(3n);
    await Promise.all(waits);
    expect(settled).toContain(3n);
  });

  it("gives up after the time limit with the store's error, and forgets the waiter", async () => {
    const applied = new AppliedOffset();
    await expect(applied.reached(7n, 20, timedOut)).rejects.toThrow("timed out");
    // A late apply finds no waiter left to resolve (nothing throws, nothing is held).
    applied.advance(7n);
    await expect(applied.reached(7n, 20, timedOut)).resolves.toBeUndefined();
  });
});
