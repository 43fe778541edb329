import { inOrder } from "./in-order";

const later = <T>(value: T, ms: number) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const failLater = (ms: number) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error("invalid")), ms));

describe("inOrder", () => {
  it("sends in submission order whatever order the preparations finish in", async () => {
    const submit = inOrder();
    const sent: number[] = [];
    const send = async (n: number) => {
      sent.push(n);
      return n * 10;
    };
    // The later ones are prepared first.
    const results = await Promise.all([50, 40, 30, 20, 10, 0].map((ms, i) => submit(later(i, ms), send)));
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it("calls each send before the next one starts, without waiting for it to finish", async () => {
    const submit = inOrder();
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const send = (n: number) =>
      new Promise<number>((resolve) => {
        started.push(n);
        finish.push(() => resolve(n));
      });
    const results = [0, 1, 2].map((i) => submit(Promise.resolve(i), send));
    await later(null, 10);
    // All three were handed on although none has finished: sending stays concurrent.
    expect(started).toEqual([0, 1, 2]);
    finish.forEach((f) => f());
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
  });

  it("goes on past a submission that failed to prepare, which is not sent and keeps its error", async () => {
    const submit = inOrder();
    const sent: number[] = [];
    const send = async (n: number) => sent.push(n);
    const outcomes = await Promise.allSettled([submit(later(0, 20), send), submit(failLater(5), send), submit(later(2, 1), send)]);
    expect(sent).toEqual([0, 2]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error("invalid"));
  });
});
