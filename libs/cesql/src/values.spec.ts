import { CesqlError } from "./errors";
import { castTo, toBoolean, toInteger, toNumber, toText, zeroOf } from "./values";

const castError = (cast: () => unknown) => {
  try {
    cast();
  } catch (err) {
    return err instanceof CesqlError ? { kind: err.kind, value: err.value } : err;
  }
  return "no error";
};

describe("casts (spec §3.7)", () => {
  it("String → Integer: base 10, optional sign, 32 bits; otherwise a CastError with 0", () => {
    expect(["10", "+7", "-2147483648", "2147483647", "007", "-0"].map(toInteger)).toEqual([10, 7, -2147483648, 2147483647, 7, 0]);
    for (const bad of ["2147483648", "1.5", " 1", "1e3", "", "0x10", "abc"]) expect(castError(() => toInteger(bad))).toEqual({ kind: "cast", value: 0 });
  });

  it("Boolean → Integer is 1 or 0; a JSON number of the data that is not a 32-bit integer is a CastError", () => {
    expect([toInteger(true), toInteger(false)]).toEqual([1, 0]);
    expect(castError(() => toInteger(65.5))).toEqual({ kind: "cast", value: 0 });
    expect(castError(() => toInteger(2 ** 31))).toEqual({ kind: "cast", value: 0 });
    // Comparisons keep such a number exactly.
    expect(toNumber(65.5)).toBe(65.5);
  });

  it("String → Boolean: true or false in any case; otherwise a CastError with false", () => {
    expect(["true", "TRUE", "False", "fAlSe"].map(toBoolean)).toEqual([true, true, false, false]);
    for (const bad of ["yes", "1", "", " true"]) expect(castError(() => toBoolean(bad))).toEqual({ kind: "cast", value: false });
  });

  it("Integer → Boolean: 0 is false, any other integer true", () => {
    expect([0, 1, -50, 100].map(toBoolean)).toEqual([false, true, true, true]);
  });

  it("→ String never fails: base 10 without leading zeros, lower-case booleans", () => {
    expect([toText(-12), toText(0), toText(true), toText(false), toText("x")]).toEqual(["-12", "0", "true", "false", "x"]);
  });

  it("zero values, Boolean for a type unknown before run time (spec §3.1, §3.2)", () => {
    expect([zeroOf("Integer"), zeroOf("String"), zeroOf("Boolean"), zeroOf("Any")]).toEqual([0, "", false, false]);
    expect(castTo("Any", "x")).toBe("x");
  });
});
