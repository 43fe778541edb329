import { canonical, type Node } from "./ast";
import { CesqlSyntaxError } from "./errors";
import { parse } from "./parse";

/** The tree as nested arrays, to read precedence at a glance. */
function shape(node: Node): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "attribute":
      return node.name;
    case "data":
      return `data:${node.path.join("/")}`;
    case "exists":
      return ["EXISTS", shape(node.target)];
    case "call":
      return [node.name, ...node.args.map(shape)];
    case "not":
      return ["NOT", shape(node.operand)];
    case "negate":
      return ["-", shape(node.operand)];
    case "like":
      return [node.negated ? "NOT LIKE" : "LIKE", shape(node.operand), node.pattern];
    case "in":
      return [node.negated ? "NOT IN" : "IN", shape(node.operand), ...node.set.map(shape)];
    case "binary":
      return [node.op, shape(node.left), shape(node.right)];
  }
}

const syntaxError = (text: string) => {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof CesqlSyntaxError) return err;
    throw err;
  }
  throw new Error(`${text} parsed`);
};

describe("parse", () => {
  it.each([
    ["4 * 2 + 4 / 2", ["+", ["*", 4, 2], ["/", 4, 2]]],
    ["1 - 2 - 3", ["-", ["-", 1, 2], 3]],
    // AND, OR and XOR share one level, evaluated left to right (spec §3.6).
    ["a AND b OR c", ["OR", ["AND", "a", "b"], "c"]],
    ["a OR b AND c", ["AND", ["OR", "a", "b"], "c"]],
    ["a = 1 AND b <> 'x'", ["AND", ["=", "a", 1], ["<>", "b", "x"]]],
    // Unary operators bind tighter than comparisons, LIKE and IN bind tighter than arithmetic (spec §3.6).
    ["NOT a = b", ["=", ["NOT", "a"], "b"]],
    ["NOT (a = b)", ["NOT", ["=", "a", "b"]]],
    ["a + b LIKE 'x%'", ["+", "a", ["LIKE", "b", "x%"]]],
    ["a NOT LIKE 'x' AND b NOT IN (1, 'y')", ["AND", ["NOT LIKE", "a", "x"], ["NOT IN", "b", 1, "y"]]],
    ["NOT EXISTS subject", ["NOT", ["EXISTS", "subject"]]],
    // A sign where an operand starts belongs to the integer; between operands it is the operator.
    ["-2147483648", -2147483648],
    ["--10", ["-", -10]],
    ["4 -1", ["-", 4, 1]],
    ["4+-1", ["+", 4, -1]],
    ["- 5", ["-", 5]],
    // Case: keywords and functions are case-insensitive, attribute names lower-cased, data fields kept.
    ["exists SOURCE and Data.Age > 1", ["AND", ["EXISTS", "source"], [">", "data:Age", 1]]],
    ["concat_ws(',', MyExt)", ["CONCAT_WS", ",", "myext"]],
    ["ABS (1)", ["ABS", 1]],
    ["CONCAT()", ["CONCAT"]],
    ["EXISTS data.address.`zip-code`", ["EXISTS", "data:address/zip-code"]],
    ["123abc = data", ["=", "123abc", "data"]],
    // Quotes: a backslash escapes the delimiter, a doubled delimiter is one; other escapes stay for LIKE.
    [String.raw`'it''s \'x\' \%' = "a\"b"`, ["=", "it's 'x' \\%", 'a"b']],
  ])("%s", (text, expected) => {
    expect(shape(parse(text))).toEqual(expected);
  });

  it("gives the same canonical text to spellings of one expression", () => {
    expect(canonical(parse("(a = 'x')AND  NOT b"))).toBe(canonical(parse('A = "x" and not B')));
    expect(canonical(parse("a = 'x'"))).not.toBe(canonical(parse("a = 'y'")));
  });

  it.each([
    ["ABC(", 1, 5, "end of input found"],
    ["x LIKE 123", 1, 8, "Expected a string literal"],
    ["a = 1 AND", 1, 10, "end of input"],
    ["a = 1\n  AND b ==", 2, 10, '"=" found'],
    ["2147483648 > 1", 1, 1, "integer 2147483648 is outside the 32-bit range"],
    ["x IN ()", 1, 6, "Expected a parenthesised list of one expression or more"],
    ["my_ext = 1", 1, 8, 'Expected "(" but "=" found'],
    ["TRUEAND FALSE", 1, 9, '"F" found'],
    ["a = 'open", 1, 5, "this string literal is not closed"],
  ])("refuses %j at line %d, column %d", (text, line, column, reason) => {
    const err = syntaxError(text);
    expect(err.at).toMatchObject({ line, column });
    expect(err.message).toContain(`line ${line}, column ${column}`);
    expect(err.message).toContain(reason);
  });

  it("refuses what would exhaust it: a long text, deep nesting", () => {
    expect(syntaxError("a = 1 OR ".repeat(500) + "TRUE").message).toContain("more than 4096");
    expect(syntaxError("(".repeat(2000) + "1" + ")".repeat(2000)).message).toContain("nested too deeply");
  });
});
