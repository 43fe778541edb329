import { compile, requiredAttributes, toBoolean, type Node } from "@meshstream/cesql";
import type { Clause } from "./prepare";

/**
 * Which events of one type a filter can match, decided before any event is
 * read: what is known for every event of the type (its `type` and
 * `specversion`, and the data fields its schema rules out) is put in; the
 * rest stays unknown. Each part of the filter yields the set of outcomes it
 * can have — TRUE, FALSE, or an evaluation error (no match) — combined with
 * the short-circuit rules of AND and OR. A type can match when TRUE remains
 * possible. The answer may say "can" for a type that never matches, never
 * the reverse.
 */
export interface TypeKnowledge {
  /** Attributes with the same value on every event of the type. */
  readonly attributes: ReadonlyMap<string, string>;
  /** Whether no event of the type has this data field. */
  absent(path: readonly string[]): boolean;
}

const T = 1;
const F = 2;
const E = 4;
const any = T | F | E;

export function canMatch(clauses: readonly Clause[], known: TypeKnowledge): boolean {
  return (clauses.reduce((acc, c) => and(acc, clause(c, known)), T) & T) !== 0;
}

function clause(c: Clause, known: TypeKnowledge): number {
  switch (c.kind) {
    case "match": {
      const value = known.attributes.get(c.attribute);
      if (value === undefined) return T | F;
      return (c.how === "exact" ? value === c.value : c.how === "prefix" ? value.startsWith(c.value) : value.endsWith(c.value)) ? T : F;
    }
    case "all":
      return c.clauses.reduce((acc, n) => and(acc, clause(n, known)), T);
    case "any":
      return c.clauses.reduce((acc, n) => or(acc, clause(n, known)), F);
    case "not":
      return not(clause(c.clause, known));
    case "sql": {
      // A dialect's sql is false when the expression fails.
      const outcomes = expression(c.expression.ast, known, true);
      return outcomes & E ? (outcomes & ~E) | F : outcomes;
    }
  }
}

/** As a filter reads the whole expression (`root`: only TRUE passes) or as AND, OR, XOR and NOT read an operand (cast to Boolean). */
function expression(node: Node, known: TypeKnowledge, root: boolean): number {
  if (bound(node, known)) {
    const { value, error } = compile(node).evaluate({ attribute: (name) => known.attributes.get(name), data: () => undefined });
    if (error) return E;
    if (root) return value === true ? T : F;
    try {
      return toBoolean(value) ? T : F;
    } catch {
      return E;
    }
  }
  switch (node.kind) {
    case "not":
      return not(expression(node.operand, known, false));
    case "binary":
      if (node.op === "AND") return and(expression(node.left, known, false), expression(node.right, known, false));
      if (node.op === "OR") return or(expression(node.left, known, false), expression(node.right, known, false));
      if (node.op === "XOR") return xor(expression(node.left, known, false), expression(node.right, known, false));
      return any;
    default:
      return any;
  }
}

/** Whether the node's value is the same for every event of the type. */
function bound(node: Node, known: TypeKnowledge): boolean {
  switch (node.kind) {
    case "literal":
      return true;
    case "attribute":
      return known.attributes.has(node.name);
    case "data":
      return known.absent(node.path);
    case "exists":
      return node.target.kind === "attribute" ? requiredAttributes.has(node.target.name) || known.attributes.has(node.target.name) : known.absent(node.target.path);
    case "call":
      return node.args.every((a) => bound(a, known));
    case "not":
    case "negate":
    case "like":
      return bound(node.operand, known);
    case "in":
      return bound(node.operand, known) && node.set.every((e) => bound(e, known));
    case "binary":
      return bound(node.left, known) && bound(node.right, known);
  }
}

// Left to right, as the evaluator goes: AND stops at FALSE, OR at TRUE, an error stops both.
function and(a: number, b: number): number {
  return (a & F) | (a & E) | (a & T ? b : 0);
}
function or(a: number, b: number): number {
  return (a & T) | (a & E) | (a & F ? b : 0);
}
function not(a: number): number {
  return (a & T ? F : 0) | (a & F ? T : 0) | (a & E);
}
function xor(a: number, b: number): number {
  let out = a & E;
  if (a & (T | F)) out |= b & E;
  if (a & T) out |= (b & T ? F : 0) | (b & F ? T : 0);
  if (a & F) out |= b & (T | F);
  return out;
}
