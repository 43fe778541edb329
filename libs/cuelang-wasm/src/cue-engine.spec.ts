import { CueEngine, type Schema } from "./cue-engine";
import { CueDocumentError, CueLimitError, CueNotFoundError, CueSyntaxError, CueTimeoutError } from "./errors";

const identity = `#Identity: {
	// first name of the person
	first: =~ "[A-Z].*"
	// Last name of the person
	Last: =~ "[A-Z].*"
	// Age of the person
	Age?: number & < 130
}
`;

describe("CueEngine", () => {
  let engine: CueEngine;
  let schema: Schema;
  const person = () => ({ schema, definition: "#Identity" });

  beforeAll(async () => {
    // Generous: a 10 MB document below takes ~1 s alone and several on a loaded 2-core CI machine.
    engine = await CueEngine.start({ workers: 2, timeoutMs: 15_000 });
    schema = await engine.compile(identity, "identity.cue");
  });

  afterAll(() => engine.close());

  describe("the seed schema", () => {
    it("lists its definitions", () => {
      expect(schema.definitions).toEqual(["#Identity"]);
    });

    it("accepts the seed's good event", async () => {
      expect(await engine.validate(person(), '{"first":"John","Last":"Doe","Age":40}')).toEqual([]);
    });

    it("rejects Age 140 with the seed's message, on path Age", async () => {
      const [v, ...rest] = await engine.validate(person(), '{"first":"John","Last":"Doe","Age":140}');
      expect(rest).toEqual([]);
      expect(v).toMatchObject({ path: ["Age"], message: "#Identity.Age: invalid value 140 (out of bound <130)" });
    });

    it.each([
      ["a missing first", '{"Last":"Doe"}', "first"],
      ["a lower-case first", '{"first":"john","Last":"Doe"}', "first"],
      ["a field not in the definition", '{"first":"John","Last":"Doe","nickname":"JD"}', "nickname"],
    ])("rejects %s, naming the path", async (_what, doc, path) => {
      const violations = await engine.validate(person(), doc);
      expect(violations.map((v) => v.path.join("."))).toContain(path);
    });
  });

  describe("bad input", () => {
    it("reports a syntax error with line:column", async () => {
      const err: unknown = await engine.compile("#A: {\n  a: int\n  b: \n", "bad.cue").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CueSyntaxError);
      expect((err as CueSyntaxError).message).toMatch(/^bad\.cue:\d+:\d+: /);
      expect((err as CueSyntaxError).violations[0]).toMatchObject({ file: "bad.cue", line: expect.any(Number), column: expect.any(Number) });
    });

    it("reports a schema that contradicts itself", async () => {
      await expect(engine.compile("#A: { a: 1 & 2 }", "conflict.cue")).rejects.toThrow(CueSyntaxError);
    });

    it("reports a definition that does not exist", async () => {
      await expect(engine.validate({ schema, definition: "#Nobody" }, "{}")).rejects.toThrow(CueNotFoundError);
    });

    it("reports a document that is not JSON", async () => {
      await expect(engine.validate(person(), '{"first": "John",')).rejects.toThrow(CueDocumentError);
      await expect(engine.validate(person(), "first: John")).rejects.toThrow(CueDocumentError);
    });

    it("reports JSON nested 10,000 levels deep", async () => {
      const deep = "[".repeat(10_000) + "]".repeat(10_000);
      await expect(engine.validate(person(), deep)).rejects.toThrow(/nests 10000 levels deep/);
    });

    it("answers a 10 MB document", async () => {
      const big = JSON.stringify({ first: "John", Last: "Doe", pad: "x".repeat(10 * 1024 * 1024) });
      const violations = await engine.validate(person(), big);
      expect(violations.map((v) => v.path.join("."))).toEqual(["pad"]);
    });

    it("stops a schema that does not terminate in time and answers the next call", async () => {
      const slow = await CueEngine.start({ workers: 1, timeoutMs: 1500 });
      try {
        const s = await slow.compile(identity, "identity.cue");
        // A list comprehension with ~10^9 steps: far beyond any time limit.
        const bomb = 'import "list"\n#T: n: [for a in list.Range(0, 1000, 1) for b in list.Range(0, 1000, 1) for c in list.Range(0, 1000, 1) {a + b + c}]';
        await expect(slow.compile(bomb, "bomb.cue")).rejects.toThrow(CueTimeoutError);
        expect(slow.restarts).toBe(1);
        expect(await slow.validate({ schema: s, definition: "#Identity" }, '{"first":"John","Last":"Doe","Age":140}')).toHaveLength(1);
      } finally {
        await slow.close();
      }
    });

    it("fails only the document that times out, not the others sent in the same batch", async () => {
      const quick = await CueEngine.start({ workers: 1, timeoutMs: 400 });
      try {
        const s = await quick.compile(identity, "identity.cue");
        const target = { schema: s, definition: "#Identity" };
        // About a second of work at least: past the 400 ms limit. Asked for in one turn with four small ones.
        const big = JSON.stringify({ first: "John", Last: "Doe", pad: "x".repeat(10 * 1024 * 1024) });
        const docs = ['{"first":"Ann","Last":"Lee"}', big, '{"first":"Bob","Last":"Ray"}', '{"first":"x","Last":"Lee"}', '{"first":"Cy","Last":"Oh","Age":140}'];
        const results = await Promise.allSettled(docs.map((d) => quick.validate(target, d)));
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
        expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(CueLimitError);
        expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "invalid_argument", message: "schema evaluation exceeded the time limit of 400 ms" });
        expect(quick.counters.timeLimitExceeded).toBe(1);
        expect(results.map((r) => (r.status === "fulfilled" ? r.value.length : -1))).toEqual([0, -1, 0, 1, 1]);
      } finally {
        await quick.close();
      }
    });

    it("keeps answering correctly after every kind of bad input", async () => {
      expect(await engine.validate(person(), '{"first":"John","Last":"Doe","Age":40}')).toEqual([]);
    });
  });

  it("spreads work over its workers and answers each call with its own result, a bad document failing alone", async () => {
    // Asked for in one turn, these travel in batches: one document that is not JSON must fail alone.
    const docs = Array.from({ length: 200 }, (_, i) => (i === 50 ? "{not json" : `{"first":"John","Last":"Doe","Age":${i}}`));
    const results = await Promise.allSettled(docs.map((d) => engine.validate(person(), d)));
    results.forEach((r, age) => {
      if (age === 50) expect(r).toEqual({ status: "rejected", reason: expect.any(CueDocumentError) });
      else expect(r).toEqual({ status: "fulfilled", value: age < 130 ? [] : [expect.objectContaining({ path: ["Age"] })] });
    });
  });

  it("keeps memory bounded by recycling contexts", async () => {
    const small = await CueEngine.start({ workers: 1, recycleAfter: 500 });
    try {
      const s = await small.compile(identity, "identity.cue");
      const run = async (n: number) => {
        for (let i = 0; i < n; i += 100) {
          await Promise.all(Array.from({ length: 100 }, () => small.validate({ schema: s, definition: "#Identity" }, '{"first":"John","Last":"Doe"}')));
        }
      };
      await run(2000);
      const [before] = await small.memory();
      await run(6000);
      const [after] = await small.memory();
      expect(after! - before!).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await small.close();
    }
  });

  it("exports OpenAPI and JSON Schema", async () => {
    const openapi = await engine.openApi(schema);
    expect(openapi).toMatchObject({ openapi: "3.0.0", components: { schemas: { Identity: { type: "object", required: ["first", "Last"] } } } });
    const jsonSchema = await engine.jsonSchema(person());
    expect(jsonSchema).toMatchObject({ type: "object", additionalProperties: false, required: ["Last", "first"] });
  });

  it("exports a source as data, and names what is not concrete", async () => {
    const data = await engine.compile('product: {name: "people", tags: ["a"]}\nlimit: 2 * 3\n');
    expect(await engine.exportJson(data)).toEqual({ product: { name: "people", tags: ["a"] }, limit: 6 });
    const open = await engine.compile("product: {name: string}\n", "decl.cue");
    await expect(engine.exportJson(open)).rejects.toThrow(/product\.name: incomplete value string/);
  });

  it("decides subsumption, naming the field that breaks it", async () => {
    const v1 = await engine.compile("#T: { a: string, n: number & <130 }");
    const addOptional = await engine.compile("#T: { a: string, n: number & <130, b?: int }");
    const tighten = await engine.compile("#T: { a: string, n: number & <100 }");
    const t = (s: Schema) => ({ schema: s, definition: "#T" });
    expect(await engine.subsumes(t(addOptional), t(v1))).toEqual([]);
    const broken = await engine.subsumes(t(tighten), t(v1));
    expect(broken.map((v) => v.path.join("."))).toEqual(["n"]);
  });
});
