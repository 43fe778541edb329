import { FilterError } from "./errors";
import { FilterCompiler, type SchemaSource } from "./filter-compiler";

/** A catalog of one or two types that counts the JSON Schemas it is asked for. */
function source() {
  const types = [{ type: "MySource:newPerson", dataProduct: "people", versions: [1] }];
  const asked: string[] = [];
  const s: SchemaSource & { asked: string[]; add(): void } = {
    asked,
    eventTypes: () => types,
    jsonSchema: async (type, version) => {
      asked.push(`${type}@${version}`);
      return { type: "object", additionalProperties: false, properties: { Age: { type: "integer" }, first: { type: "string" } } };
    },
    add: () => types.push({ type: "MySource:other", dataProduct: "people", versions: [1] }),
  };
  return s;
}

describe("FilterCompiler", () => {
  it("shares one compiled filter between identical subscriptions, however spelled", async () => {
    const compiler = new FilterCompiler(source());
    const [a, b] = await Promise.all([compiler.compile({ sql: "data.Age > 65" }, { at: "filter" }), compiler.compile({ sql: "DATA.Age>65" }, { at: "filter" })]);
    const c = await compiler.compile({ sql: "data.Age > 66" }, { at: "filter" });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(compiler.size).toBe(2);
  });

  it("derives a version's data shape once, and only for filters that name data fields", async () => {
    const s = source();
    const compiler = new FilterCompiler(s);
    await compiler.compile({ types: ["MySource:newPerson"] });
    await compiler.compile({ sql: "subject = 'x'" });
    expect(s.asked).toEqual([]);
    await compiler.compile({ sql: "data.Age > 1" });
    await compiler.compile({ sql: "data.first = 'x'" });
    expect(s.asked).toEqual(["MySource:newPerson@1"]);
  });

  it("sees catalog changes after invalidate(), and does not keep refusals", async () => {
    const s = source();
    const compiler = new FilterCompiler(s);
    const before = await compiler.compile({ sql: "type LIKE 'MySource:%'" });
    await expect(compiler.compile({ types: ["MySource:other"] })).rejects.toThrow(FilterError);
    s.add();
    expect(await compiler.compile({ sql: "type LIKE 'MySource:%'" })).toBe(before);
    compiler.invalidate();
    const after = await compiler.compile({ sql: "type LIKE 'MySource:%'" });
    expect(after.types).toEqual(["MySource:newPerson", "MySource:other"]);
    expect((await compiler.compile({ types: ["MySource:other"] })).types).toEqual(["MySource:other"]);
  });

  it("keeps at most cacheSize filters, dropping the least recently used", async () => {
    const compiler = new FilterCompiler(source(), { cacheSize: 2 });
    const first = await compiler.compile({ sql: "subject = '1'" });
    const second = await compiler.compile({ sql: "subject = '2'" });
    expect(await compiler.compile({ sql: "subject = '1'" })).toBe(first);
    await compiler.compile({ sql: "subject = '3'" });
    expect(compiler.size).toBe(2);
    expect(await compiler.compile({ sql: "subject = '1'" })).toBe(first);
    expect(await compiler.compile({ sql: "subject = '2'" })).not.toBe(second);
  });

  it("refuses a malformed filter before looking at the catalog", () => {
    const compiler = new FilterCompiler(source());
    expect(() => compiler.compile({ sql: "a =" }, { at: "filter" })).toThrow("filter.sql: syntax error at line 1, column 4");
  });
});
