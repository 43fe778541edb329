import { dataFieldName, type Attribute, type Binary, type Call, type DataField, type In, type Node, type SourcePosition, type Value } from "./ast";
import { CesqlError } from "./errors";
import { castArgument, parameterType, resolveFunction } from "./functions";
import { likeMatcher } from "./like";
import { castTo, maxInteger, minInteger, toBoolean, toInteger, toNumber, toText, typeOf, zeroOf, type StaticType } from "./values";

/** What an expression reads of one event. */
export interface EventView {
  /** A context attribute or extension by its lower-case name; undefined when the event has none. */
  attribute(name: string): Value | undefined;
  /** The JSON value at this path of the event's data; undefined when there is none. */
  data(path: readonly string[]): unknown;
}

/** An error certain before any event is seen, such as a call to a function that does not exist. */
export interface Problem {
  readonly error: CesqlError;
  readonly at: SourcePosition;
}

/** An expression compiled once into closures, evaluated many times. */
export interface Expression {
  readonly ast: Node;
  /** The type of the result, when it is known before run time. */
  readonly type: StaticType;
  /** Errors every evaluation would raise; a filter refuses such an expression. */
  readonly problems: readonly Problem[];
  /**
   * The result and its error, as the spec defines them, in its "fail fast"
   * mode (§4.1): the first error ends the evaluation; the result is then the
   * zero value of the expression's type, or the value the failing function
   * itself returned when the expression is that call.
   */
  evaluate(view: EventView): { value: Value; error?: CesqlError };
  /**
   * Whether the result is TRUE, as a filter reads it (Subscriptions API):
   * an error makes it false and is handed to `onError`. Never throws.
   */
  test(view: EventView, onError?: (error: CesqlError) => void): boolean;
}

type Evaluate = (view: EventView) => Value;

/** Attributes every CloudEvent has: EXISTS is always true for them (spec §3.4.4). */
export const requiredAttributes: ReadonlySet<string> = new Set(["specversion", "id", "source", "type"]);
const arithmetic = new Set(["*", "/", "%", "+", "-"]);

/** The type of a node's result when it is known before run time. */
export function staticType(node: Node): StaticType {
  switch (node.kind) {
    case "literal":
      return typeOf(node.value);
    case "attribute":
    case "data":
      return "Any";
    case "exists":
    case "not":
    case "like":
    case "in":
      return "Boolean";
    case "negate":
      return "Integer";
    case "call":
      return resolveFunction(node.name, node.args.length)?.returns ?? "Boolean";
    case "binary":
      return arithmetic.has(node.op) ? "Integer" : "Boolean";
  }
}

export function compile(ast: Node): Expression {
  const problems: Problem[] = [];
  const root = compileNode(ast, problems);
  const type = staticType(ast);
  return {
    ast,
    type,
    problems,
    evaluate(view) {
      try {
        return { value: root(view) };
      } catch (err) {
        const error = asCesqlError(err);
        return { value: error.origin === ast ? error.value : zeroOf(type), error };
      }
    },
    test(view, onError) {
      try {
        return root(view) === true;
      } catch (err) {
        onError?.(asCesqlError(err));
        return false;
      }
    },
  };
}

/** Anything else thrown while evaluating (a bug, a stack overflow) is a GenericError: it ends one evaluation, not the stream. */
function asCesqlError(err: unknown): CesqlError {
  return err instanceof CesqlError ? err : new CesqlError("generic", err instanceof Error ? err.message : String(err), false);
}

function compileNode(node: Node, problems: Problem[]): Evaluate {
  switch (node.kind) {
    case "literal": {
      const value = node.value;
      return () => value;
    }
    case "attribute":
      return attribute(node);
    case "data":
      return dataField(node);
    case "exists": {
      const target = node.target;
      if (target.kind === "attribute") {
        const name = target.name;
        return requiredAttributes.has(name) ? () => true : (view) => view.attribute(name) !== undefined;
      }
      const path = target.path;
      return (view) => present(view.data(path));
    }
    case "call":
      return call(node, problems);
    case "not": {
      const operand = compileNode(node.operand, problems);
      return (view) => !toBoolean(operand(view));
    }
    case "negate": {
      const operand = compileNode(node.operand, problems);
      return (view) => checked(-toInteger(operand(view)));
    }
    case "like": {
      const operand = compileNode(node.operand, problems);
      const match = likeMatcher(node.pattern);
      const negated = node.negated;
      return (view) => match(toText(operand(view))) !== negated;
    }
    case "in":
      return inSet(node, problems);
    case "binary":
      return binary(node, problems);
  }
}

function attribute(node: Attribute): Evaluate {
  const name = node.name;
  return (view) => {
    const value = view.attribute(name);
    if (value === undefined) throw new CesqlError("missingAttribute", `the event has no attribute ${name}`, false);
    return value;
  };
}

const present = (json: unknown) => json !== undefined && json !== null;

/**
 * A data field reads as its JSON value: strings, numbers and booleans as
 * they are, objects and arrays as their JSON text (spec §3.2: a value of
 * another type is represented as a String); null or absent is a missing
 * attribute.
 */
function dataField(node: DataField): Evaluate {
  const path = node.path;
  const name = dataFieldName(path);
  return (view) => {
    const json = view.data(path);
    switch (typeof json) {
      case "string":
      case "number":
      case "boolean":
        return json;
      default:
        if (!present(json)) throw new CesqlError("missingAttribute", `the event's data has no ${name}`, false);
        return JSON.stringify(json);
    }
  };
}

function call(node: Call, problems: Problem[]): Evaluate {
  const args = node.args.map((a) => compileNode(a, problems));
  const f = resolveFunction(node.name, args.length);
  if (!f) {
    const error = new CesqlError("missingFunction", `there is no function ${node.name} with ${args.length} argument${args.length === 1 ? "" : "s"}`, false);
    problems.push({ error, at: node.at });
    return () => {
      throw error;
    };
  }
  const types = args.map((_, i) => parameterType(f, i));
  return (view) => {
    const values = args.map((a, i) => castArgument(types[i]!, a(view)));
    try {
      return f.run(values);
    } catch (err) {
      // The function's own failure: its value is the expression's when the call is the whole expression.
      if (err instanceof CesqlError) err.origin = node;
      throw err;
    }
  };
}

/** An Integer result outside 32 bits is a MathError. */
function checked(n: number): number {
  if (n < minInteger || n > maxInteger) throw new CesqlError("math", `${n} is out of the 32-bit integer range`, 0);
  return n === 0 ? 0 : n;
}

/** `x IN (…)`: each element is cast to the type of x, then compared as `=` does (spec §3.4.5). */
function inSet(node: In, problems: Problem[]): Evaluate {
  const operand = compileNode(node.operand, problems);
  const negated = node.negated;
  const literals = node.set.every((e) => e.kind === "literal") ? node.set.map((e) => (e as { value: Value }).value) : undefined;
  if (literals) {
    // Element casts depend only on the operand's type: done once per type, keeping the order in which
    // a failing cast would have been met (an earlier equal element wins over a later bad cast).
    const byType = new Map<StaticType, { hits: Set<Value>; error?: CesqlError }>();
    const castSet = (type: StaticType) => {
      const hits = new Set<Value>();
      for (const l of literals) {
        try {
          hits.add(castTo(type, l));
        } catch (err) {
          return { hits, error: err as CesqlError };
        }
      }
      return { hits };
    };
    return (view) => {
      const x = operand(view);
      const type = typeOf(x);
      let set = byType.get(type);
      if (!set) byType.set(type, (set = castSet(type)));
      if (set.hits.has(x)) return !negated;
      if (set.error) throw set.error;
      return negated;
    };
  }
  const set = node.set.map((e) => compileNode(e, problems));
  return (view) => {
    const x = operand(view);
    const type = typeOf(x);
    for (const element of set) if (castTo(type, element(view)) === x) return !negated;
    return negated;
  };
}

function binary(node: Binary, problems: Problem[]): Evaluate {
  const l = compileNode(node.left, problems);
  const r = compileNode(node.right, problems);
  switch (node.op) {
    // AND and OR short-circuit: the right operand is not evaluated when the left decides (spec §3.4.2).
    case "AND":
      return (view) => toBoolean(l(view)) && toBoolean(r(view));
    case "OR":
      return (view) => toBoolean(l(view)) || toBoolean(r(view));
    case "XOR":
      return (view) => {
        const a = l(view);
        const b = r(view);
        return toBoolean(a) !== toBoolean(b);
      };
    // `=` is defined for each type: the right operand's type decides the cast of the left (spec §3.7).
    case "=":
      return (view) => {
        const a = l(view);
        const b = r(view);
        return castTo(typeOf(b), a) === b;
      };
    case "!=":
    case "<>":
      return (view) => {
        const a = l(view);
        const b = r(view);
        return castTo(typeOf(b), a) !== b;
      };
    case "<":
      return numeric(l, r, (a, b) => a < b);
    case "<=":
      return numeric(l, r, (a, b) => a <= b);
    case ">":
      return numeric(l, r, (a, b) => a > b);
    case ">=":
      return numeric(l, r, (a, b) => a >= b);
    case "+":
      return integer(l, r, (a, b) => checked(a + b));
    case "-":
      return integer(l, r, (a, b) => checked(a - b));
    case "*":
      return integer(l, r, (a, b) => checked(a * b));
    case "/":
      return integer(l, r, (a, b) => {
        if (b === 0) throw new CesqlError("math", "division by zero", 0);
        return checked(Math.trunc(a / b));
      });
    case "%":
      return integer(l, r, (a, b) => {
        if (b === 0) throw new CesqlError("math", "modulo by zero", 0);
        return checked(a % b);
      });
  }
}

/** Both operands are evaluated, then cast (so a missing attribute on the right wins over a bad cast on the left). */
function integer(l: Evaluate, r: Evaluate, op: (a: number, b: number) => number): Evaluate {
  return (view) => {
    const a = l(view);
    const b = r(view);
    return op(toInteger(a), toInteger(b));
  };
}

/** Comparisons keep a JSON number of the data as it is, so that `data.Age > 65` is exact for 65.5. */
function numeric(l: Evaluate, r: Evaluate, op: (a: number, b: number) => boolean): Evaluate {
  return (view) => {
    const a = l(view);
    const b = r(view);
    return op(toNumber(a), toNumber(b));
  };
}
