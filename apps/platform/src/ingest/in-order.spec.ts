import { InOrder } from "./in-order";

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push((await it.next()).value as T);
  return out;
}

describe("InOrder", () => {
  it("gives results in the order they were added, each as soon as those before it are ready", async () => {
    const results = new InOrder<string>(10);
    const [a, b, c] = [deferred<string>(), deferred<string>(), deferred<string>()];
    results.add(a.promise);
    results.add(b.promise);
    results.add(c.promise);
    const it = results[Symbol.asyncIterator]();
    const first = take(it, 2);
    b.resolve("b");
    c.resolve("c");
    await new Promise((r) => setImmediate(r));
    a.resolve("a");
    expect(await first).toEqual(["a", "b"]);
    expect(await take(it, 1)).toEqual(["c"]);
    results.end();
    expect((await it.next()).done).toBe(true);
  });

  it("gives a result while more may come (the stream is still open)", async () => {
    const results = new InOrder<number>(10);
    results.add(Promise.resolve(1));
    const it = results[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 1, done: false });
  });

  it("holds at most `window` results, and makes room as they are given", async () => {
    const results = new InOrder<number>(2);
    results.add(Promise.resolve(1));
    expect(results.room()).toBeUndefined();
    results.add(Promise.resolve(2));
    const room = results.room();
    expect(room).toBeInstanceOf(Promise);
    const it = results[Symbol.asyncIterator]();
    await it.next();
    await room;
  });

  it("fails once the results before the failure are given", async () => {
    const results = new InOrder<number>(10);
    results.add(Promise.resolve(1));
    results.end(new Error("malformed"));
    const it = results[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow("malformed");
  });
});
