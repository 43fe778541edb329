import { probeDocuments } from "./probe-documents";

describe("probeDocuments", () => {
  it("fills every field the schema does not compute: defaults first, then large, small and mixed values", () => {
    const schema = {
      type: "object",
      properties: {
        n: { type: "integer" },
        m: { type: "integer" },
        bounded: { allOf: [{ type: "number" }, { type: "integer", minimum: 0, maximum: 100 }] },
        name: { type: "string", default: "dflt" },
        kind: { enum: ["a", "b"] },
        tags: { type: "array", items: { type: "string", maxLength: 3 } },
        counts: { type: "array", items: { type: "integer" } },
        item: { $ref: "#/$defs/Item" },
        computed: true,
      },
      $defs: { Item: { type: "object", properties: { ok: { type: "boolean" } } } },
    };
    const [typical, large, small, mixed] = probeDocuments(schema) as Record<string, unknown>[];
    expect(typical).toEqual({ n: 0, m: 0, bounded: 0, name: "dflt", kind: "a", tags: ["x"], counts: [0], item: { ok: false } });
    expect(large).toMatchObject({ n: 1e9, m: 1e9, bounded: 100, name: "x".repeat(1000), kind: "a", item: { ok: true } });
    // A large list holds typical elements.
    expect(large!.tags).toEqual(Array(1000).fill("x"));
    expect(large!.counts).toEqual(Array(1000).fill(0));
    expect(small).toEqual({ n: -1e9, m: -1e9, bounded: 0, name: "", kind: "a", tags: [], counts: [], item: { ok: false } });
    // Alternating by field, so that n - m is large as well.
    expect(mixed).toMatchObject({ n: 1e9, m: -1e9, bounded: 100 });
    expect("computed" in typical!).toBe(false);
  });

  it("stops at a depth for recursive definitions", () => {
    const schema = { $ref: "#/$defs/Node", $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } } } } };
    const [typical] = probeDocuments(schema);
    expect(JSON.stringify(typical).length).toBeLessThan(200);
  });
});
