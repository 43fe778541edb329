import type { CloudEvent } from "@meshstream/cloudevents";
import { compileFilter, type SchemaInfo } from "./compile-filter";
import { dataShape } from "./data-shape";
import { FilterError } from "./errors";
import type { FilterSpec } from "./filter-spec";

const closed = (properties: Record<string, unknown>) => ({ type: "object", additionalProperties: false, properties });
const schemas: SchemaInfo = {
  eventTypes: [
    { type: "MySource:newPerson", dataProduct: "people", versions: [{ version: 1, shape: dataShape(closed({ first: { type: "string" }, Last: { type: "string" }, Age: { type: "number" } })) }] },
    { type: "MySource:personLeft", dataProduct: "people", versions: [{ version: 1, shape: dataShape(closed({ first: { type: "string" }, reason: { type: "string" } })) }] },
    {
      type: "shop:orderPlaced",
      dataProduct: "shop",
      versions: [
        { version: 1, shape: dataShape(closed({ total: { type: "integer" }, vip: { type: "boolean" }, address: closed({ city: { type: "string" } }) })) },
        { version: 2, shape: dataShape(closed({ total: { type: "integer" }, vip: { type: "boolean" }, address: closed({ city: { type: "string" } }), coupon: { type: "string" } })) },
      ],
    },
    { type: "shop:note", dataProduct: "shop", versions: [{ version: 1, shape: dataShape({ type: "object", properties: { text: { type: "string" } } }) }] },
  ],
};

const compile = (spec: FilterSpec) => compileFilter(spec, schemas, { at: "filter" });
function refusal(spec: FilterSpec): { code: string; message: string; fields: string[] } {
  try {
    compile(spec);
  } catch (err) {
    if (err instanceof FilterError) return { code: err.code, message: err.message, fields: err.violations.map((v) => v.field) };
    throw err;
  }
  throw new Error(`${JSON.stringify(spec)} was accepted`);
}

let n = 0;
function event(type: string, data: unknown, extra: Partial<CloudEvent> = {}): CloudEvent {
  return { specversion: "1.0", id: String(++n), source: "/test", type, datacontenttype: "application/json", extensions: {}, data: Buffer.from(JSON.stringify(data)), ...extra };
}

describe("compileFilter: what it reads", () => {
  it("leaves types, prefixes and sources alone when there is no expression: the headers decide", () => {
    const f = compile({ types: ["MySource:newPerson"], typePrefixes: ["shop:"], sources: ["/b", "/a", "/b"] });
    expect(f).toMatchObject({ products: ["people", "shop"], types: ["MySource:newPerson"], typePrefixes: ["shop:"], sources: ["/a", "/b"], hasPredicate: false });
    expect(compile({})).toMatchObject({ products: ["people", "shop"], types: [], typePrefixes: [], hasPredicate: false });
  });

  it.each<[string, FilterSpec, string[]]>([
    ["sql on type", { sql: "type = 'MySource:newPerson' AND data.Age > 65" }, ["MySource:newPerson"]],
    ["sql IN and LIKE on type", { sql: "type IN ('shop:note', 'nope') OR type LIKE '%Left'" }, ["MySource:personLeft", "shop:note"]],
    ["exact", { filters: [{ exact: { type: "shop:orderPlaced" } }] }, ["shop:orderPlaced"]],
    ["prefix", { filters: [{ prefix: { type: "MySource:" } }] }, ["MySource:newPerson", "MySource:personLeft"]],
    ["suffix and another attribute", { filters: [{ suffix: { type: "Placed", subject: "x" } }] }, ["shop:orderPlaced"]],
    ["not", { filters: [{ not: { prefix: { type: "MySource:" } } }] }, ["shop:note", "shop:orderPlaced"]],
    ["any of all", { filters: [{ any: [{ all: [{ exact: { type: "shop:note" } }, { sql: "subject = 'a'" }] }, { exact: { type: "MySource:newPerson" } }] }] }, ["MySource:newPerson", "shop:note"]],
    ["types field with sql", { types: ["MySource:newPerson", "shop:note"], sql: "NOT (type = 'shop:note')" }, ["MySource:newPerson"]],
    // A data field some types have: the types whose schemas rule it out are not read at all.
    ["data field of some types", { sql: "data.first LIKE 'J%'" }, ["MySource:newPerson", "MySource:personLeft", "shop:note"]],
    ["EXISTS of a field no type has but an open struct", { sql: "EXISTS data.Age OR EXISTS data.nickname" }, ["MySource:newPerson", "shop:note"]],
    ["NOT EXISTS keeps the types without it", { sql: "NOT EXISTS data.first" }, ["MySource:newPerson", "MySource:personLeft", "shop:note", "shop:orderPlaced"]],
    ["a field of one version", { sql: "data.coupon = 'X'" }, ["shop:orderPlaced", "shop:note"].sort()],
    ["an attribute of the event", { sql: "subject = 'x' OR myext = 1" }, ["MySource:newPerson", "MySource:personLeft", "shop:note", "shop:orderPlaced"]],
  ])("narrows the types it reads: %s", (_, spec, types) => {
    const f = compile(spec);
    expect(f.types).toEqual(types);
    expect(f.typePrefixes).toEqual([]);
    expect(f.products).toEqual([...new Set(types.map((t) => (t.startsWith("shop:") ? "shop" : "people")))].sort());
    expect(f.hasPredicate).toBe(true);
  });

  it("gives one key to every spelling of one filter, another to another filter", () => {
    const a = compile({ types: ["b", "a"].map((x) => (x === "a" ? "MySource:newPerson" : "shop:note")), sql: "data.Age>65 and subject = 'x'" });
    const b = compile({ types: ["MySource:newPerson", "shop:note", "shop:note"], sql: "DATA.Age > 65 AND (subject = \"x\")" });
    const c = compile({ types: ["MySource:newPerson", "shop:note"], sql: "data.Age > 66 AND subject = 'x'" });
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
  });
});

describe("compileFilter: what it refuses", () => {
  it("NOT_FOUND: a type or a prefix the catalog does not know, a filter no known type can match", () => {
    expect(refusal({ types: ["Nope"] })).toMatchObject({ code: "not_found", message: "event type Nope not found" });
    expect(refusal({ typePrefixes: ["nope:"] })).toMatchObject({ code: "not_found", message: 'no event type starts with "nope:"' });
    expect(refusal({ sql: "type = 'nope'" })).toEqual({ code: "not_found", message: "filter: no event type known to the catalog can match this filter", fields: ["filter"] });
    expect(refusal({ filters: [{ suffix: { type: ":nothing" } }] })).toMatchObject({ code: "not_found" });
    expect(refusal({ types: ["shop:note"], filters: [{ exact: { type: "MySource:newPerson" } }] })).toMatchObject({ code: "not_found" });
  });

  it("INVALID_ARGUMENT: a data field no schema of a matched type has, naming the types and versions", () => {
    expect(refusal({ sql: "type = 'MySource:newPerson' AND data.age > 65" })).toEqual({
      code: "invalid_argument",
      message: "filter.sql: unknown data field data.age (line 1, column 33): not in the schema of MySource:newPerson (schema version 1)",
      fields: ["filter.sql"],
    });
    expect(refusal({ typePrefixes: ["MySource:"], filters: [{ sql: "data.address.zip = '75001'" }] }).message).toBe(
      "filter.filters[0].sql: unknown data field data.address.zip (line 1, column 1): not in the schema of MySource:newPerson (schema version 1), MySource:personLeft (schema version 1)",
    );
    expect(refusal({ types: ["shop:orderPlaced"], sql: "data.address.zip = '75001'" }).message).toContain("not in the schema of shop:orderPlaced (schema versions 1, 2)");
  });

  it("INVALID_ARGUMENT: a data field compared with a literal of another kind, naming the path, the type and the version", () => {
    // shop:note is an open struct: any field may hold anything there, so these name the types they mean.
    expect(refusal({ types: ["MySource:newPerson"], sql: "data.Age = 'old'" })).toEqual({
      code: "invalid_argument",
      message:
        "filter.sql: data.Age is a number in MySource:newPerson (schema version 1), but the filter compares it with the String 'old' (line 1, column 1), which needs a String; cast it explicitly, e.g. STRING(data.Age), to mean that",
      fields: ["filter.sql"],
    });
    expect(refusal({ typePrefixes: ["shop:o"], sql: "data.total LIKE '1%'" }).message).toContain("data.total is an integer in shop:orderPlaced (schema version 1), an integer in shop:orderPlaced (schema version 2), but the filter matches it with LIKE '1%'");
    expect(refusal({ types: ["shop:orderPlaced"], sql: "data.vip + 1 > 2" }).message).toContain("data.vip is a boolean in shop:orderPlaced (schema version 1)");
    expect(refusal({ typePrefixes: ["MySource:"], sql: "data.first" }).message).toContain("uses it as the whole condition");
    expect(refusal({ typePrefixes: ["MySource:"], sql: "data.Age IN (1, 'x')" }).message).toContain("looks for it among values such as the String 'x'");
    expect(refusal({ typePrefixes: ["MySource:"], sql: "LENGTH(data.Age) > 1" }).message).toContain("passes it to LENGTH()");
  });

  it("accepts explicit casts, fields of open structs, and kinds one matched version allows", () => {
    for (const sql of ["STRING(data.Age) = 'old'", "INT(data.first) > 3", "data.text LIKE 'x%'", "data.nickname = 1", "data.Age = 'old'", "data.Age > 65 OR data.reason = 'moved'", "data.Age = data.first"]) {
      expect(compile({ sql }).hasPredicate).toBe(true);
    }
  });

  it("INVALID_ARGUMENT: a syntax error with its position, a missing function, a result that is not Boolean", () => {
    expect(refusal({ sql: "data.Age > 65 AND" })).toEqual({
      code: "invalid_argument",
      message: expect.stringMatching(/^filter\.sql: syntax error at line 1, column 18: Expected .* but end of input found$/),
      fields: ["filter.sql"],
    });
    expect(refusal({ sql: "NOPE(subject)" }).message).toBe("filter.sql: there is no function NOPE with 1 argument (line 1, column 1)");
    expect(refusal({ sql: "1 + 1" }).message).toBe("filter.sql: the expression is an Integer; a filter needs a Boolean expression");
  });

  it.each<[FilterSpec, string]>([
    [{ types: [""] }, "filter.types: entries must not be empty"],
    [{ filters: [{ exact: { type: "a" }, prefix: { type: "b" } } as never] }, "filter.filters[0]: a filter sets exactly one of exact, prefix, suffix, all, any, not, sql (this one sets exact and prefix)"],
    [{ filters: [{} as never] }, "filter.filters[0]: a filter sets exactly one of exact, prefix, suffix, all, any, not, sql (this one sets none)"],
    [{ filters: [{ exact: {} }] }, "filter.filters[0].exact: needs one attribute at least"],
    [{ filters: [{ exact: "type" as never }] }, "filter.filters[0].exact: maps attribute names to values"],
    [{ filters: [{ prefix: { Type: "x" } }] }, "filter.filters[0].prefix.Type: an attribute name is 1 to 20 lower-case letters or digits"],
    [{ filters: [{ suffix: { type: "" } }] }, "filter.filters[0].suffix.type: the value must not be empty"],
    [{ filters: [{ not: { all: [] } }] }, "filter.filters[0].not.all: needs one filter at least"],
    [{ filters: [{ any: [{ sql: "" }] }] }, "filter.filters[0].any[0].sql: needs an expression"],
  ])("INVALID_ARGUMENT: a malformed filter %j", (spec, message) => {
    expect(refusal(spec)).toMatchObject({ code: "invalid_argument", message });
  });
});

describe("the matcher of a compiled filter", () => {
  it("matches decoded events on attributes, extensions and data, ANDing every part", () => {
    const m = compile({
      filters: [{ any: [{ exact: { region: "fr" } }, { prefix: { subject: "eu/" } }] }, { not: { suffix: { source: "/test-bot" } } }],
      sql: "data.Age >= 65 AND data.first LIKE 'J%'",
    }).matcher();
    const person = { first: "John", Last: "Doe", Age: 70 };
    const cases: [CloudEvent, boolean][] = [
      [event("MySource:newPerson", person, { extensions: { region: "fr" } }), true],
      [event("MySource:newPerson", person, { subject: "eu/paris" }), true],
      [event("MySource:newPerson", person, { subject: "us/nyc" }), false],
      [event("MySource:newPerson", { ...person, Age: 64.5 }, { extensions: { region: "fr" } }), false],
      [event("MySource:newPerson", { ...person, first: "Ann" }, { extensions: { region: "fr" } }), false],
      [event("MySource:newPerson", person, { extensions: { region: "fr" }, source: "/test-bot" }), false],
    ];
    expect(cases.map(([e]) => m.matches(e))).toEqual(cases.map(([, expected]) => expected));
    expect(m.stats).toEqual({ evaluated: 6, matched: 2, errors: 0, errorsByKind: {} });
  });

  it("counts expression errors as non-matches and keeps going; each subscription counts on its own", () => {
    const f = compile({ sql: "INT(seq) > 3 OR data.Age > 100" });
    const m = f.matcher();
    const results = [
      m.matches(event("MySource:newPerson", { first: "A", Last: "B" }, { extensions: { seq: "7" } })),
      m.matches(event("MySource:newPerson", { first: "A", Last: "B" }, { extensions: { seq: "x" } })),
      m.matches(event("MySource:newPerson", { first: "A", Last: "B" })),
      m.matches(event("MySource:newPerson", { first: "A", Last: "B", Age: 101 }, { extensions: { seq: "1" } })),
      m.matches({ ...event("MySource:newPerson", {}, { extensions: { seq: "1" } }), data: Buffer.from("{not json") }),
    ];
    expect(results).toEqual([true, false, false, true, false]);
    expect(m.stats).toEqual({ evaluated: 5, matched: 2, errors: 3, errorsByKind: { cast: 1, missingAttribute: 1, generic: 1 } });
    expect(f.matcher().stats.evaluated).toBe(0);
  });
});
