import type { Value } from "./ast";
import { CesqlError } from "./errors";
import { castTo, maxInteger, minInteger, toBoolean, toInteger, toText, type CesqlType, type StaticType } from "./values";

/**
 * A built-in function (spec §3.5). Parameters typed "Any" are not cast: the
 * casting functions take any value. `variadic` is the type of the arguments
 * after the fixed ones, when the function takes any number of them.
 */
export interface FunctionSignature {
  readonly name: string;
  readonly params: readonly StaticType[];
  readonly variadic?: CesqlType;
  readonly returns: CesqlType;
}

interface BuiltIn extends FunctionSignature {
  /** Arguments arrive cast to the parameter types; a failure throws CesqlError carrying the value to return. */
  run(args: Value[]): Value;
}

const failed = (message: string, value: Value) => new CesqlError("functionEvaluation", message, value);

// Characters are Unicode code points ("sequence of Unicode characters", spec §3.1), not UTF-16 units.
const chars = (s: string) => Array.from(s);
const whitespace = /^\p{White_Space}+|\p{White_Space}+$/gu;

function substring(x: string, pos: number, len?: number): string {
  const c = chars(x);
  if (pos > c.length || pos < -c.length) throw failed(`SUBSTRING position ${pos} is outside a string of ${c.length} characters`, "");
  if (len !== undefined && len < 0) throw failed(`SUBSTRING length ${len} is negative`, "");
  if (pos === 0) return "";
  const from = pos > 0 ? pos - 1 : c.length + pos;
  return c.slice(from, len === undefined ? undefined : from + len).join("");
}

const builtIns: readonly BuiltIn[] = [
  { name: "LENGTH", params: ["String"], returns: "Integer", run: ([x]) => chars(x as string).length },
  { name: "CONCAT", params: [], variadic: "String", returns: "String", run: (xs) => xs.join("") },
  { name: "CONCAT_WS", params: ["String"], variadic: "String", returns: "String", run: ([d, ...xs]) => xs.join(d as string) },
  { name: "LOWER", params: ["String"], returns: "String", run: ([x]) => (x as string).toLowerCase() },
  { name: "UPPER", params: ["String"], returns: "String", run: ([x]) => (x as string).toUpperCase() },
  { name: "TRIM", params: ["String"], returns: "String", run: ([x]) => (x as string).replace(whitespace, "") },
  {
    name: "LEFT",
    params: ["String", "Integer"],
    returns: "String",
    run: ([x, y]) => {
      if ((y as number) < 0) throw failed(`LEFT length ${y as number} is negative`, x as string);
      return chars(x as string).slice(0, y as number).join("");
    },
  },
  {
    name: "RIGHT",
    params: ["String", "Integer"],
    returns: "String",
    run: ([x, y]) => {
      if ((y as number) < 0) throw failed(`RIGHT length ${y as number} is negative`, x as string);
      const c = chars(x as string);
      return (y as number) >= c.length ? (x as string) : c.slice(c.length - (y as number)).join("");
    },
  },
  { name: "SUBSTRING", params: ["String", "Integer"], returns: "String", run: ([x, pos]) => substring(x as string, pos as number) },
  { name: "SUBSTRING", params: ["String", "Integer", "Integer"], returns: "String", run: ([x, pos, len]) => substring(x as string, pos as number, len as number) },
  {
    name: "ABS",
    params: ["Integer"],
    returns: "Integer",
    run: ([x]) => {
      if (x === minInteger) throw new CesqlError("math", `ABS(${minInteger}) is out of the 32-bit range`, maxInteger);
      return Math.abs(x as number);
    },
  },
  // Casting functions (the TCK's casting_functions.yaml): explicit casts with the rules of spec §3.7.
  { name: "INT", params: ["Any"], returns: "Integer", run: ([x]) => toInteger(x!) },
  { name: "BOOL", params: ["Any"], returns: "Boolean", run: ([x]) => toBoolean(x!) },
  { name: "STRING", params: ["Any"], returns: "String", run: ([x]) => toText(x!) },
  { name: "IS_INT", params: ["Any"], returns: "Boolean", run: ([x]) => succeeds(() => toInteger(x!)) },
  { name: "IS_BOOL", params: ["Any"], returns: "Boolean", run: ([x]) => succeeds(() => toBoolean(x!)) },
];

function succeeds(cast: () => unknown): boolean {
  try {
    cast();
    return true;
  } catch {
    return false;
  }
}

/** The built-in that an invocation with this name (upper case) and number of arguments dispatches to. */
export function resolveFunction(name: string, arity: number): (FunctionSignature & { run(args: Value[]): Value }) | undefined {
  return builtIns.find((f) => f.name === name && (f.variadic ? arity >= f.params.length : arity === f.params.length));
}

/** The type the argument at `index` is cast to before the call. */
export function parameterType(f: FunctionSignature, index: number): StaticType {
  return f.params[index] ?? f.variadic ?? "Any";
}

/** Casts an argument to its parameter type (integers strictly 32-bit). */
export function castArgument(type: StaticType, value: Value): Value {
  return type === "Integer" ? toInteger(value) : castTo(type, value);
}
