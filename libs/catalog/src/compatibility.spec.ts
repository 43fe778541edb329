import { CueEngine, type Schema } from "@meshstream/cuelang-wasm";
import { incompatibilities, IncompatibleSchemaError, type CompatibilityPolicy } from "./compatibility";

describe("schema compatibility policies", () => {
  let engine: CueEngine;
  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 1 });
  });
  afterAll(() => engine.close());

  const schema = async (source: string) => ({ schema: (await engine.compile(source)) as Schema, definition: "#Identity" });
  const v = async (version: number, source: string) => ({ ...(await schema(source)), version });
  const base = `#Identity: { first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130 }`;
  const fields = async (policy: CompatibilityPolicy, candidate: string, earlier: string[]) =>
    (
      await incompatibilities(
        engine,
        policy,
        await schema(candidate),
        await Promise.all(earlier.map((s, i) => v(i + 1, s))),
      )
    ).map((x) => x.field);

  it("accepts an added optional field under BACKWARD", async () => {
    expect(await fields("BACKWARD", `#Identity: { first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130, email?: string }`, [base])).toEqual([]);
  });

  it.each([
    ["a tightened bound", `#Identity: { first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <100 }`, "Age"],
    ["an added required field", `#Identity: { first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130, email: string }`, "email"],
    ["a changed field type", `#Identity: { first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: string }`, "Age"],
  ])("refuses %s under BACKWARD, naming the field", async (_what, candidate, field) => {
    expect(await fields("BACKWARD", candidate, [base])).toContain(field);
  });

  it("checks FORWARD the other way round, and FULL both ways", async () => {
    const loosened = `#Identity: { first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <200 }`;
    expect(await fields("BACKWARD", loosened, [base])).toEqual([]);
    expect(await fields("FORWARD", loosened, [base])).toEqual(["Age"]);
    expect(await fields("FULL", loosened, [base])).toEqual(["Age"]);
  });

  it("accepts anything under NONE", async () => {
    expect(await fields("NONE", `#Identity: { totally: "different" }`, [base])).toEqual([]);
  });

  it("compares with every earlier version under the transitive policies, with the latest only otherwise", async () => {
    // v2 was registered under NONE and dropped `Last`; the candidate keeps v2's shape.
    const v2 = `#Identity: { first: =~"[A-Z].*", Age?: number & <130 }`;
    const candidate = `#Identity: { first: =~"[A-Z].*", Age?: number & <130, nick?: string }`;
    expect(await fields("BACKWARD", candidate, [base, v2])).toEqual([]);
    const transitive = await fields("BACKWARD_TRANSITIVE", candidate, [base, v2]);
    expect(transitive).toEqual(["Last"]);
  });

  it("makes an error that names the policy and the fields", () => {
    const err = new IncompatibleSchemaError("BACKWARD", [{ field: "Age", description: "Age: <100 does not accept every value of <130" }]);
    expect(err.code).toBe("failed_precondition");
    expect(err.message).toBe("schema is not BACKWARD compatible: Age: <100 does not accept every value of <130");
  });
});
