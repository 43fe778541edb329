import { likeMatcher } from "./like";

describe("likeMatcher", () => {
  it.each([
    ["abc", "abc", true],
    ["abc", "ab", false],
    ["", "", true],
    ["%", "", true],
    ["%", "anything", true],
    ["a%", "abc", true],
    ["a%", "bab", false],
    ["%c", "abc", true],
    ["%b%", "abc", true],
    ["%b%", "ac", false],
    ["a_c", "abc", true],
    ["a_c", "ac", false],
    ["a%b%c", "azzzbzzzc", true],
    ["a%b%c", "azzzbzzz", false],
    ["%a%b", "aab", true],
    ["_%_", "ab", true],
    ["_%_", "a", false],
    // Escapes: \% and \_ are literal, \\ is one backslash, a backslash before anything else is itself.
    [String.raw`a\%`, "a%", true],
    [String.raw`a\%`, "ab", false],
    [String.raw`a\_b`, "a_b", true],
    [String.raw`a\_b`, "axb", false],
    [String.raw`a\\%`, String.raw`a\bc`, true],
    [String.raw`ab\c`, String.raw`ab\c`, true],
    // Case sensitive; `_` is one Unicode character, also outside the BMP.
    ["ABC", "abc", false],
    ["a_c", "a😀c", true],
    ["__", "😀", false],
    ["%😀", "x😀", true],
  ])("%j matches %j: %s", (pattern, text, expected) => {
    expect(likeMatcher(pattern)(text)).toBe(expected);
  });

  it("stays linear-ish where a backtracking regular expression would not", () => {
    const text = "a".repeat(100_000);
    const started = performance.now();
    expect(likeMatcher("%a%a%a%a%a%a%a%b")(text)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
