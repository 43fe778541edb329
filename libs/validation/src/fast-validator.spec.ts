import { CueEngine, type Definition } from "@meshstream/cuelang-wasm";
import fc from "fast-check";
import { compileValidator, type FastValidator } from "./fast-validator";

// The fast path against the engine in this process (the CLI differential is test/fast-path.differential.spec.ts).
describe("compileValidator", () => {
  let engine: CueEngine;
  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 1 });
  });
  afterAll(() => engine.close());

  async function compile(source: string): Promise<{ fast: FastValidator; target: Definition }> {
    const schema = await engine.compile(source, "s.cue");
    const target = { schema, definition: "#T" };
    return { fast: compileValidator(await engine.validatorProgram(target)), target };
  }

  const accepts = (fast: FastValidator, doc: string | Uint8Array) => fast.accepts(typeof doc === "string" ? Buffer.from(doc) : doc);

  it("accepts the seed's valid person and leaves the others to the engine", async () => {
    const { fast } = await compile(`#T: {first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130}`);
    expect(fast.complete).toBe(true);
    expect(accepts(fast, '{"first":"John","Last":"Doe","Age":40}')).toBe(true);
    expect(accepts(fast, '{"first":"John","Last":"Doe"}')).toBe(true);
    for (const doc of ['{"first":"John","Last":"Doe","Age":140}', '{"first":"john","Last":"Doe"}', '{"first":"John"}', '{"first":"John","Last":"Doe","x":1}', "[]", "null", "not json", ""]) {
      expect([doc, accepts(fast, doc)]).toEqual([doc, false]);
    }
  });

  it("tells int from float by how the number is written, as CUE does", async () => {
    const { fast } = await compile(`#T: {i?: int, f?: float, n?: number, c?: 42, b?: <=0.1}`);
    const cases: [string, boolean][] = [
      ['{"i": 1}', true],
      ['{"i": 1.0}', false],
      ['{"i": 1e0}', false],
      ['{"i": 1, "n": 1.0}', false], // 1.0 elsewhere: this 1 might be it
      ['{"i": 2, "n": 1.0}', true],
      ['{"f": 1.5}', true],
      ['{"f": 1.0}', false],
      ['{"f": 1}', false],
      ['{"c": 42}', true],
      ['{"c": 42.0}', false],
      ['{"b": 0.1}', true],
      ['{"b": 0.10000000000000000001}', false], // the same double, a larger number
      ['{"b": 0.09999999999999999999}', false], // the same double: only the engine can tell
      ['{"n": 12345678901234567890123}', true], // any number
      ['{"i": 12345678901234567890123}', false],
      ['{"n": 1e400}', false], // beyond a double: the engine reads it
    ];
    for (const [doc, expected] of cases) expect([doc, accepts(fast, doc)]).toEqual([doc, expected]);
  });

  it("leaves to the engine what CUE reads differently from JSON.parse", async () => {
    const { fast } = await compile(`#T: {a?: int, s?: string, ...}`);
    expect(accepts(fast, '{"a": 1, "a": 1}')).toBe(false); // CUE unifies both
    expect(accepts(fast, '{"x": {"y": 1, "y": 2}}')).toBe(false);
    expect(accepts(fast, '{"s": "\\ud83c\\udf89"}')).toBe(true); // a pair of escapes is one character
    expect(accepts(fast, '{"s": "\\ud83c"}')).toBe(false); // CUE refuses half a pair
    expect(accepts(fast, '\ufeff{"s": "x"}')).toBe(true); // a byte-order mark, as the CLI reads it
    expect(accepts(fast, '{"s": "\ufeffx"}')).toBe(false); // one inside: CUE refuses it
    expect(accepts(fast, Buffer.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toBe(false); // not UTF-8
    expect(accepts(fast, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"s":"x"}', "utf16le")]))).toBe(false); // UTF-16
    expect(accepts(fast, `${"[".repeat(10_000)}${"]".repeat(10_000)}`)).toBe(false); // deeper than the engine reads
  });

  it("leaves NaN and infinities in a given value to the engine (their JSON text is null)", async () => {
    const { fast } = await compile(`#T: {n: number, i?: int, b?: <10}`);
    for (const value of [{ n: NaN }, { n: 1, i: Infinity }, { n: 1, b: -Infinity }]) {
      expect(fast.accepts(Buffer.from(JSON.stringify(value)), value)).toBe(false);
    }
    expect(fast.accepts(Buffer.from('{"n":1}'), { n: 1 })).toBe(true);
  });

  it("says why it is not complete, and defers there only", async () => {
    const { fast } = await compile(`import "strings"\n#T: {a: int, b?: strings.HasPrefix("x")}`);
    expect(fast.complete).toBe(false);
    expect(accepts(fast, '{"a": 1}')).toBe(true);
    expect(accepts(fast, '{"a": 1, "b": "xy"}')).toBe(false);
  });

  it("keeps a regular expression that backtracks without end to linear time", async () => {
    const { fast } = await compile(`#T: {s: =~"^(a+)+$"}`);
    const started = performance.now();
    expect(accepts(fast, JSON.stringify({ s: `${"a".repeat(5000)}b` }))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("matches regular expressions as Go does, code point by code point", async () => {
    const patterns = ["^.{3}$", "^\\p{Lu}", "(?i)straße", "^[^a-z]+$", "[\\x{1F600}-\\x{1F64F}]", "^\\w+@\\d*$", "^(ab|cd){2,3}$", "[[:alpha:]]x", "^\\S\\s?$", "\\A[😀-🙏]\\z"];
    const source = `#T: {${patterns.map((p, i) => `p${i}?: =~${JSON.stringify(p)}`).join(", ")}}`;
    const { fast, target } = await compile(source);
    expect(fast.complete).toBe(true);
    const strings = fc.sample(fc.oneof(fc.string({ unit: "binary", maxLength: 5 }), fc.constantFrom("abc", "ÉCOLE", "STRASSE", "straße", "😀x", "a@1", "ababab", "é1", "x\n", "😀😁🙏")), {
      seed: 7,
      numRuns: 300,
    });
    const disagreements: unknown[] = [];
    for (const s of strings) {
      for (let i = 0; i < patterns.length; i++) {
        const doc = JSON.stringify({ [`p${i}`]: s });
        const valid = (await engine.validate(target, doc)).length === 0;
        // The fast path never accepts what Go refuses, and accepts what Go accepts (its regex is exact).
        if (accepts(fast, doc) !== valid) disagreements.push({ pattern: patterns[i], s, valid });
      }
    }
    expect(disagreements).toEqual([]);
  });
});
