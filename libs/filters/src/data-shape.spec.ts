import { CueEngine } from "@meshstream/cuelang-wasm";
import { dataShape, describeKinds, type DataShape, type FieldKinds } from "./data-shape";

// The shapes come from what the catalog serves: the CUE engine's JSON Schema export of a definition.
const source = `
#Identity: {
	first: =~"[A-Z].*"
	Last:  =~"[A-Z].*"
	Age?:  number & <130
}
#Open: {
	n:     int
	x:     float
	s:     string | *"d"
	e:     "a" | "b"
	u:     int | string
	t:     null | string
	lit:   5
	any:   _
	inner: {z: int & >3, w?: [...string]}
	m:     {[string]: bool}
	...
}
#Either: close({a: int}) | close({b: string})
#Ref: {a: #E}
#E: {z?: int, inner: {q: string}}
`;

const kinds = (k: FieldKinds | undefined) => (k === undefined ? "absent" : k === "any" ? "any" : [...k].sort().join("|"));

describe("dataShape of the engine's JSON Schema export", () => {
  let engine: CueEngine;
  const shapes: Record<string, DataShape> = {};

  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 1, timeoutMs: 20_000 });
    const schema = await engine.compile(source, "shapes.cue");
    for (const definition of ["#Identity", "#Open", "#Either", "#Ref"]) shapes[definition] = dataShape(await engine.jsonSchema({ schema, definition }));
  });
  afterAll(() => engine?.close());

  const at = (definition: string, path: string) => kinds(shapes[definition]!.field(path.split(".")));

  it("reads a closed definition: its fields and their kinds, nothing else", () => {
    expect([at("#Identity", "first"), at("#Identity", "Age"), at("#Identity", "age"), at("#Identity", "Age.x")]).toEqual(["string", "number", "absent", "absent"]);
  });

  it("reads an open struct (...): declared fields typed, any other field possible", () => {
    expect(["n", "x", "s", "e", "u", "t", "lit", "any", "other", "other.deep"].map((p) => at("#Open", p))).toEqual([
      "integer",
      "number",
      "string",
      "string",
      "integer|string",
      "null|string",
      "integer",
      "any",
      "any",
      "any",
    ]);
  });

  it("follows nested structs (closed inside a definition), pattern constraints and lists as leaves", () => {
    expect(["inner.z", "inner.w", "inner.nope", "m.anykey", "inner.w.0"].map((p) => at("#Open", p))).toEqual(["integer", "array", "absent", "boolean", "absent"]);
  });

  it("reads a disjunction of closed structs: a field of either branch, absent when in neither", () => {
    expect(["a", "b", "c"].map((p) => at("#Either", p))).toEqual(["integer", "string", "absent"]);
  });

  it("follows $ref into $defs", () => {
    expect(["a.z", "a.inner.q", "a.inner.r", "b"].map((p) => at("#Ref", p))).toEqual(["integer", "string", "absent", "absent"]);
  });

  it("treats what it does not read as unconstrained, and bounds recursion", () => {
    expect(kinds(dataShape({}).field(["x"]))).toBe("any");
    expect(kinds(dataShape({ type: "object", properties: { a: { $ref: "https://elsewhere/schema" } } }).field(["a", "b"]))).toBe("any");
    const loop = { $defs: { L: { $ref: "#/$defs/L" } }, $ref: "#/$defs/L" };
    expect(kinds(dataShape(loop).field(["a"]))).toBe("any");
    expect(kinds(dataShape({ allOf: [{ type: "number" }, { type: "integer" }] }).field([]))).toBe("integer");
    expect(kinds(dataShape({ allOf: [{ type: "string" }, { type: "integer" }] }).field([]))).toBe("absent");
  });

  it("describes kinds for messages", () => {
    expect([describeKinds(new Set(["integer"])), describeKinds(new Set(["string", "null"])), describeKinds("any")]).toEqual(["an integer", "a null or a string", "any value"]);
  });
});
