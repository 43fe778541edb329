import type { Node } from "./ast";
import { CesqlSyntaxError } from "./errors";
import { parse as generated, SyntaxError as GeneratedSyntaxError } from "./gen/parser";

/** Expressions longer than this are refused before parsing: a filter is a line or a few, not a program. */
export const maxExpressionLength = 4096;

const start = { offset: 0, line: 1, column: 1 };

/** Parses a CESQL v1 expression (with `data.<field>` paths) into its tree; throws CesqlSyntaxError. */
export function parse(text: string): Node {
  if (text.length > maxExpressionLength) throw new CesqlSyntaxError(`the expression is ${text.length} characters long, more than ${maxExpressionLength}`, start);
  try {
    return generated(text) as Node;
  } catch (err) {
    if (err instanceof GeneratedSyntaxError) {
      const { offset, line, column } = err.location.start;
      throw new CesqlSyntaxError(err.message.replace(/\.$/, ""), { offset, line, column });
    }
    // The parser recurses once per level of parentheses; thousands of them overflow the stack.
    if (err instanceof RangeError) throw new CesqlSyntaxError("the expression is nested too deeply", start);
    throw err;
  }
}
