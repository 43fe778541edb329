import { PartitionWindow } from "./partition-window";

describe("PartitionWindow", () => {
  it("moves `next` past settled events and the unmatched offsets between them, and stores the rest as ranges", () => {
    const w = new PartitionWindow();
    for (const o of [2n, 3n, 4n, 7n, 8n]) expect(w.read(o)).toBe(0);
    w.delivered(2n);
    w.delivered(2n);
    expect(w.settle(3n)).toBe(true);
    expect(w.settle(3n)).toBe(false);
    w.settle(4n);
    w.settle(8n);
    expect(w.snapshot()).toEqual({ next: "2", settled: [["3", "4"], ["8", "8"]], attempts: { "2": 2 } });
    w.settle(2n);
    expect(w.snapshot()).toEqual({ next: "7", settled: [["8", "8"]], attempts: {} });
    w.settle(7n);
    expect(w.snapshot()).toEqual({ next: "9", settled: [], attempts: {} });
  });

  it("restored, skips what was settled and counts deliveries on from the stored count", () => {
    const w = new PartitionWindow({ next: "5", settled: [["6", "7"]], attempts: { "5": 2 } });
    expect(w.resumeAt).toBe(5n);
    expect(w.read(5n)).toBe(2);
    expect(w.read(6n)).toBe(false);
    expect(w.read(7n)).toBe(false);
    expect(w.read(9n)).toBe(0);
    w.settle(5n);
    expect(w.next).toBe(9n);
    expect(w.snapshot().settled).toEqual([]);
  });
});
