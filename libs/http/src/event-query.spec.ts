import { checkParameters, filterOf, maxOf, startOf, waitOf } from "./event-query";

describe("event queries", () => {
  it("builds the EventFilter from every field's JSON or proto name, and the singular aliases", () => {
    const f = filterOf({ type: ["a", "b"], types: "c", typePrefix: "x:", type_prefixes: "y:", source: "/s" });
    expect(f.types).toEqual(["c", "a", "b"]);
    expect(f.typePrefixes).toEqual(["y:", "x:"]);
    expect(f.sources).toEqual(["/s"]);
  });

  it("reads a CESQL expression, and the Subscriptions API dialects as JSON, one filter per value", () => {
    const f = filterOf({ sql: "data.Age > 65", filters: ['{"prefix":{"type":"shop:"}}', '{"not":{"exact":{"region":"us"}}}'] });
    expect(f.sql).toBe("data.Age > 65");
    expect(f.filters.map((d) => [d.prefix, d.not?.exact])).toEqual([
      [{ type: "shop:" }, undefined],
      [{}, { region: "us" }],
    ]);
    expect(() => filterOf({ filters: "prefix=shop:" })).toThrow(/filters must be JSON/);
  });

  it("refuses parameters nobody reads", () => {
    expect(() => checkParameters({ typo: "x" }, new Set(["type"]))).toThrow(/unknown query parameter: typo/);
  });

  it("starts after Last-Event-ID, then after=, then start=", () => {
    expect(startOf({ after: "p1", start: "earliest" }, "p2").start).toEqual({ case: "after", value: "p2" });
    expect(startOf({ after: "p1" }, undefined).start).toEqual({ case: "after", value: "p1" });
    expect(startOf({ start: "earliest" }, undefined).start).toEqual({ case: "earliest", value: true });
    expect(startOf({}, undefined).start).toEqual({ case: "latest", value: true });
    const t = startOf({ start: "2026-11-23T12:00:00Z" }, undefined).start;
    expect(t.case).toBe("time");
    expect(() => startOf({ start: "yesterday" }, undefined)).toThrow(/earliest, latest or an RFC 3339 time/);
  });

  it("reads page sizes and long-poll durations", () => {
    expect(maxOf({ max: "25" })).toBe(25);
    expect(() => maxOf({ max: "0" })).toThrow(/positive integer/);
    expect(waitOf({ wait: "10s" })).toEqual({ seconds: 10n, nanos: 0 });
    expect(waitOf({ wait: "1.5s" })).toEqual({ seconds: 1n, nanos: 500_000_000 });
    expect(waitOf({ wait: "250ms" })).toEqual({ seconds: 0n, nanos: 250_000_000 });
    expect(waitOf({})).toBeUndefined();
    expect(() => waitOf({ wait: "soon" })).toThrow(/duration/);
  });
});
