import { IdleReplays } from "./idle-replays";
import type { ReplayReader } from "./replay-reader";

const reader = (lastUsed: number) => ({ lastUsed }) as ReplayReader;

describe("IdleReplays", () => {
  it("keeps every reader parked at one position, each taken once", () => {
    const idle = new IdleReplays();
    const a = reader(1);
    const b = reader(2);
    idle.park("t/0@256", a);
    idle.park("t/0@256", b);
    expect([idle.take("t/0@256"), idle.take("t/0@256")]).toEqual(expect.arrayContaining([a, b]));
    expect(idle.take("t/0@256")).toBeUndefined();
    expect(idle.take("t/0@512")).toBeUndefined();
  });

  it("takes out the readers unused since a time, and only those", () => {
    const idle = new IdleReplays();
    const old = reader(100);
    const recent = reader(900);
    idle.park("t/0@1", old);
    idle.park("t/0@1", recent);
    idle.park("t/1@7", reader(50));
    expect(idle.takeUnusedSince(500)).toHaveLength(2);
    expect(idle.take("t/0@1")).toBe(recent);
    expect(idle.take("t/1@7")).toBeUndefined();
  });
});
