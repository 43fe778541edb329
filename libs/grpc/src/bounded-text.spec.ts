import { boundedText, maxQuoted } from "./bounded-text";

describe("boundedText", () => {
  it("keeps a short message as it is", () => {
    expect(boundedText("#Identity.Age: invalid value 140 (out of bound <130)")).toBe("#Identity.Age: invalid value 140 (out of bound <130)");
  });

  it("cuts a long quoted value with … and keeps what follows it", () => {
    const text = `#T.s: invalid value "${"a".repeat(1_000_000)}" (does not match =~"^[a-z]+$")`;
    const cut = boundedText(text);
    expect(cut).toBe(`#T.s: invalid value "${"a".repeat(maxQuoted)}…" (does not match =~"^[a-z]+$")`);
  });

  it("cuts a long unquoted run (a huge number) and an escaped quote inside a value does not end it", () => {
    expect(boundedText(`invalid value ${"9".repeat(5000)} (out of bound <1)`)).toBe(`invalid value ${"9".repeat(maxQuoted)}… (out of bound <1)`);
    const escaped = `"${'\\"'.repeat(300)}" tail`;
    expect(boundedText(escaped)).toMatch(/…" tail$/);
  });

  it("bounds the whole text, never splits a surrogate pair, and repairs a lone surrogate", () => {
    const many = Array.from({ length: 500 }, (_, i) => `f${i}: "x"`).join(" ");
    expect(boundedText(many, 300).length).toBeLessThanOrEqual(300);
    expect(boundedText(many, 300).endsWith("…")).toBe(true);
    const emoji = `"${"😀".repeat(150)}"`;
    expect(() => encodeURI(boundedText(emoji))).not.toThrow();
    expect(() => encodeURI(boundedText(`bad \ud800 surrogate ${"x".repeat(300)}`))).not.toThrow();
  });
});
