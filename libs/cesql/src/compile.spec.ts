import type { Value } from "./ast";
import { compile, staticType, type EventView } from "./compile";
import type { CesqlError } from "./errors";
import { parse } from "./parse";

function view(attributes: Record<string, Value>, data?: unknown, reads: string[] = []): EventView {
  return {
    attribute: (name) => {
      reads.push(name);
      return attributes[name];
    },
    data: (path) => path.reduce<unknown>((doc, key) => (doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>)[key] : undefined), data),
  };
}

const event = { specversion: "1.0", id: "1", source: "/people", type: "MySource:newPerson", subject: "fr/paris" };
const person = { first: "John", Last: "Doe", Age: 70, ratio: 65.5, big: 2 ** 40, vip: true, address: { city: "Paris", zip: "75001" }, tags: ["a"], nothing: null };
const evaluate = (text: string, data: unknown = person, attributes: Record<string, Value> = event) => {
  const { value, error } = compile(parse(text)).evaluate(view(attributes, data));
  return error ? { value, error: error.kind } : { value };
};

describe("compile: data fields (the Meshstream extension)", () => {
  it.each([
    ["data.Age > 65", true],
    ["data.Age + 1 = 71", true],
    ["data.first LIKE 'J%' AND data.Last IN ('Doe', 'Roe')", true],
    ["data.address.city = 'Paris'", true],
    ["data.vip", true],
    ["data.vip = 'true'", true],
    ["STRING(data.Age) = '70'", true],
    ["EXISTS data.address.zip AND NOT EXISTS data.address.street", true],
    // A JSON number keeps its value in comparisons (CESQL integers have 32 bits, data numbers need not).
    ["data.ratio > 65", true],
    ["data.ratio < 66", true],
    ["data.ratio <> 65", true],
    ["data.big > 2147483647", true],
    // Objects and arrays read as their JSON text (spec §3.2).
    [`data.tags = '["a"]'`, true],
  ])("%s → %s", (text, expected) => {
    expect(evaluate(text)).toEqual({ value: expected });
  });

  it("absent, null and non-object paths are missing attributes; EXISTS says false", () => {
    expect(evaluate("data.Nope = 1")).toEqual({ value: false, error: "missingAttribute" });
    expect(evaluate("data.nothing = 1")).toEqual({ value: false, error: "missingAttribute" });
    expect(evaluate("data.first.x = 1")).toEqual({ value: false, error: "missingAttribute" });
    expect(evaluate("data.Age > 1", null)).toEqual({ value: false, error: "missingAttribute" });
    expect(evaluate("EXISTS data.nothing OR EXISTS data.tags.x")).toEqual({ value: false });
  });

  it("arithmetic on a number that is not a 32-bit integer is a CastError; on an overflow, a MathError", () => {
    expect(evaluate("data.ratio + 1 > 0")).toEqual({ value: false, error: "cast" });
    expect(evaluate("data.big * 1")).toEqual({ value: 0, error: "cast" });
    expect(evaluate("2147483647 + 1")).toEqual({ value: 0, error: "math" });
    expect(evaluate("-2147483648 / -1")).toEqual({ value: 0, error: "math" });
    expect(evaluate("-(-2147483648)")).toEqual({ value: 0, error: "math" });
    expect(evaluate("-7 % 2")).toEqual({ value: -1 });
    expect(evaluate("-7 / 2")).toEqual({ value: -3 });
  });
});

describe("compile: semantics beyond the TCK", () => {
  it("IN casts each element to the type of the left operand, in order", () => {
    expect(evaluate("1 IN (1, 'a')")).toEqual({ value: true });
    expect(evaluate("2 IN (1, 'a')")).toEqual({ value: false, error: "cast" });
    expect(evaluate("'a' IN (1, 'a')")).toEqual({ value: true });
    expect(evaluate("subject IN (id, 'fr/paris')")).toEqual({ value: true });
    expect(evaluate("2 NOT IN (1, 3)")).toEqual({ value: true });
  });

  it("short-circuits AND and OR: the right operand is not read", () => {
    const reads: string[] = [];
    const expression = compile(parse("subject = 'x' AND myext = 1 OR type = 'MySource:newPerson' OR other = 1"));
    expect(expression.test(view(event, person, reads))).toBe(true);
    expect(reads).toEqual(["subject", "type"]);
  });

  it("test() is false on any error and reports it, without throwing", () => {
    const errors: CesqlError[] = [];
    const expression = compile(parse("data.Age > 65"));
    const broken: EventView = {
      attribute: () => undefined,
      data: () => {
        throw new SyntaxError("Unexpected token in JSON");
      },
    };
    expect(expression.test(view(event, { Age: "old" }), (e) => errors.push(e))).toBe(false);
    expect(expression.test(view(event, {}), (e) => errors.push(e))).toBe(false);
    expect(expression.test(broken, (e) => errors.push(e))).toBe(false);
    expect(expression.test(view(event, person), (e) => errors.push(e))).toBe(true);
    expect(errors.map((e) => e.kind)).toEqual(["cast", "missingAttribute", "generic"]);
  });

  it("a result that is not exactly TRUE does not pass a filter", () => {
    expect(compile(parse("'true'")).test(view(event))).toBe(false);
    expect(compile(parse("1")).test(view(event))).toBe(false);
    expect(compile(parse("subject")).test(view({ ...event, subject: "true" }))).toBe(false);
  });

  it("knows a missing function when it compiles, and each evaluation fails with it", () => {
    const expression = compile(parse("NOPE(1) OR TRUE AND LEFT('a')"));
    expect(expression.problems.map((p) => [p.error.kind, p.error.message, p.at.column])).toEqual([
      ["missingFunction", "there is no function NOPE with 1 argument", 1],
      ["missingFunction", "there is no function LEFT with 1 argument", 21],
    ]);
    expect(expression.evaluate(view(event))).toMatchObject({ value: false, error: { kind: "missingFunction" } });
  });

  it("types results before run time", () => {
    const types = ["1 + a", "a", "LENGTH(a)", "UPPER(a)", "a = 1", "NOPE()", "data.x", "-a", "'x'", "a IN (1)"].map((t) => staticType(parse(t)));
    expect(types).toEqual(["Integer", "Any", "Integer", "String", "Boolean", "Boolean", "Any", "Integer", "String", "Boolean"]);
  });
});
