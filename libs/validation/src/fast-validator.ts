import { setFlagsFromString } from "node:v8";
import type { ProgramNode, ValidatorProgram } from "@meshstream/cuelang-wasm";
import { facts, readDocument, UNREADABLE } from "./document";
import { dateOnly, ipv4, rfc3339, uuid } from "./formats";
import { numberText } from "./numbers";

/**
 * A verdict of the fast path on a value. Ordered so that a conjunction is
 * the largest of its parts and a disjunction of scalar alternatives the
 * smallest: VALID only when `cue vet` would accept, INVALID only when it
 * would refuse, UNKNOWN for everything the program leaves to the engine.
 */
export const enum Verdict {
  VALID = 0,
  UNKNOWN = 1,
  INVALID = 2,
}

type Check = (value: unknown) => Verdict;

// Go's regular expressions match in linear time; V8's backtrack. A regex
// that backtracks too much is run again on V8's linear-time engine (which
// takes the patterns jsRegex writes: no flags, no backreferences, no
// lookaround), so that no schema can make the event loop wait on a match.
setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");

/**
 * The fast path of one definition: a function of a document that says
 * `true` only when the definition accepts it, as `cue vet -c` would, and
 * `false` whenever it cannot be sure (the engine then decides). Built once
 * per schema version; a check allocates nothing on its way to `true`.
 */
export interface FastValidator {
  /** Whether the document is certainly valid; `parsed` is its value when the caller has it already. */
  accepts(document: Uint8Array, parsed?: unknown): boolean;
  /** Whether the program covers the whole definition (no node left to the engine). */
  readonly complete: boolean;
}

export interface FastValidatorOptions {
  /** Deepest nesting the fast path reads; deeper documents go to the engine (which refuses them past its own limit). */
  readonly maxDepth?: number;
}

export function compileValidator(program: ValidatorProgram, options: FastValidatorOptions = {}): FastValidator {
  const maxDepth = options.maxDepth ?? 1000;
  const defs: Check[] = [];
  let complete = true;
  const compile = (node: ProgramNode): Check => {
    if (node.k === "engine" || (node.k === "struct" && node.patterns?.some((p) => p.match.k === "engine"))) complete = false;
    return compileNode(node, compile, defs);
  };
  for (const def of program.defs ?? []) defs.push(compile(def));
  const root = compile(program.root);
  return {
    complete,
    accepts(document: Uint8Array, parsed?: unknown): boolean {
      const value = readDocument(document, maxDepth, parsed);
      if (value === UNREADABLE) return false;
      const expected = facts.members;
      facts.members = 0;
      // Fewer members than the text has: a key given twice, which CUE unifies and JSON.parse overwrites.
      return root(value) === Verdict.VALID && facts.members === expected;
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Counts the members of every object under `value` (the fast path must see all of them to rule out duplicate keys). */
function walk(value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(value[i]);
    return;
  }
  for (const key in value) {
    facts.members++;
    walk((value as Record<string, unknown>)[key]);
  }
}

const any: Check = (v) => {
  walk(v);
  return Verdict.VALID;
};
const unknown: Check = () => Verdict.UNKNOWN;

function compileNode(node: ProgramNode, compile: (n: ProgramNode) => Check, defs: Check[]): Check {
  switch (node.k) {
    case "any":
      return any;
    case "engine":
      return unknown;
    case "bool":
      return (v) => (typeof v === "boolean" ? Verdict.VALID : Verdict.INVALID);
    case "string":
      return (v) => (typeof v === "string" ? Verdict.VALID : Verdict.INVALID);
    case "int":
      return (v) => (typeof v !== "number" ? Verdict.INVALID : finite(v) ? intKind(v) : Verdict.UNKNOWN);
    case "float":
      return (v) => (typeof v !== "number" ? Verdict.INVALID : finite(v) ? floatKind(v) : Verdict.UNKNOWN);
    case "number":
      return (v) => (typeof v !== "number" ? Verdict.INVALID : finite(v) ? Verdict.VALID : Verdict.UNKNOWN);
    case "const":
    case "ne": {
      const equal = equality(node);
      if (node.k === "const") return equal;
      return (v) => {
        const e = equal(v);
        return e === Verdict.VALID ? Verdict.INVALID : e === Verdict.INVALID && sameKind(v, node) ? Verdict.VALID : Verdict.UNKNOWN;
      };
    }
    case "bound":
      return bound(node.op, node);
    case "multipleOf": {
      const divisor = numberText(node.n!);
      if (!Number.isInteger(divisor.double) || !divisor.faithful || divisor.double === 0) return unknown;
      const d = divisor.double;
      return (v) => {
        if (typeof v !== "number") return Verdict.INVALID;
        if (!Number.isSafeInteger(v) || facts.maybeUnfaithful(v)) return Verdict.UNKNOWN;
        return v % d === 0 ? Verdict.VALID : Verdict.INVALID;
      };
    }
    case "regex": {
      const re = new RegExp(node.re);
      const want = !node.not;
      return (v) => (typeof v !== "string" ? Verdict.INVALID : re.test(v) === want ? Verdict.VALID : Verdict.INVALID);
    }
    case "runes": {
      const min = node.min ?? 0;
      const max = node.max ?? Infinity;
      return (v) => {
        if (typeof v !== "string") return Verdict.INVALID;
        const n = codePoints(v);
        return n >= min && n <= max ? Verdict.VALID : Verdict.INVALID;
      };
    }
    case "items": {
      const min = node.min ?? 0;
      const max = node.max ?? Infinity;
      return (v) => {
        if (!Array.isArray(v)) return Verdict.INVALID;
        if (v.length < min || v.length > max) return Verdict.INVALID;
        walk(v);
        return Verdict.VALID;
      };
    }
    case "format": {
      const test = { rfc3339, date: dateOnly, uuid, ipv4 }[node.format];
      // Narrower than Go: a string the test refuses may still be valid.
      return (v) => (typeof v !== "string" ? Verdict.UNKNOWN : test(v) ? Verdict.VALID : Verdict.UNKNOWN);
    }
    case "and":
      return conjunction(node.of.map(compile));
    case "or":
      return disjunction(node.of.map(compile));
    case "struct":
      return struct(node, compile);
    case "list":
      return list(node, compile);
    case "ref": {
      const i = node.def;
      return (v) => defs[i]!(v);
    }
  }
}

/**
 * JSON.parse never gives NaN or an infinity, but a google.protobuf.Struct's
 * value may hold one, whose JSON text (what is stored) says null: the
 * engine reads the text.
 */
const finite = (x: number) => x - x === 0;

function intKind(x: number): Verdict {
  if (!Number.isInteger(x)) return Verdict.INVALID;
  return facts.maybeFloat(x) || facts.maybeUnfaithful(x) ? Verdict.UNKNOWN : Verdict.VALID;
}

function floatKind(x: number): Verdict {
  if (!Number.isInteger(x)) return Verdict.VALID;
  return facts.maybeFloat(x) || facts.maybeUnfaithful(x) ? Verdict.UNKNOWN : Verdict.INVALID;
}

interface Operand {
  readonly v?: string | boolean | null;
  readonly num?: "int" | "float";
  readonly n?: string;
}

function sameKind(v: unknown, c: Operand): boolean {
  return c.n !== undefined ? typeof v === "number" : typeof v === typeof c.v && (v === null) === (c.v === null);
}

/**
 * How a number compares with a constant: -1, 0, 1, or NaN when only the
 * engine can tell (equal doubles, one of the two not faithful).
 */
function compare(x: number, c: number, cFaithful: boolean): number {
  if (x < c) return -1;
  if (x > c) return 1;
  return cFaithful && !facts.maybeUnfaithful(x) ? 0 : NaN;
}

/** `const`: the value itself (numbers: same value and same kind, as CUE unifies 1 and 1.0 to an error). */
function equality(c: Operand): Check {
  if (c.n === undefined) {
    const expected = c.v;
    return (v) => (v === expected ? Verdict.VALID : Verdict.INVALID);
  }
  const { double, faithful } = numberText(c.n);
  const kind = c.num === "int" ? intKind : floatKind;
  return (v) => {
    if (typeof v !== "number") return Verdict.INVALID;
    if (!finite(v)) return Verdict.UNKNOWN;
    const order = compare(v, double, faithful);
    if (order !== 0) return order === order ? Verdict.INVALID : Verdict.UNKNOWN;
    return kind(v);
  };
}

function bound(op: "<" | "<=" | ">" | ">=", c: Operand): Check {
  const accept = (order: number) => (op === "<" ? order < 0 : op === "<=" ? order <= 0 : op === ">" ? order > 0 : order >= 0);
  if (c.n === undefined) {
    const s = c.v as string;
    return (v) => (typeof v !== "string" ? Verdict.INVALID : accept(compareCodePoints(v, s)) ? Verdict.VALID : Verdict.INVALID);
  }
  const { double, faithful } = numberText(c.n);
  return (v) => {
    if (typeof v !== "number") return Verdict.INVALID;
    if (!finite(v)) return Verdict.UNKNOWN;
    const order = compare(v, double, faithful);
    if (order !== order) return Verdict.UNKNOWN;
    return accept(order) ? Verdict.VALID : Verdict.INVALID;
  };
}

/** Go compares strings byte by byte, that is by code point; JavaScript by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (code points past the BMP) sort after every other unit in code point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--;
  }
  return n;
}

function conjunction(checks: readonly Check[]): Check {
  // Each part walks the value from the same count of members; the one that walked furthest counted them all.
  return (v) => {
    const start = facts.members;
    let end = start;
    let verdict = Verdict.VALID;
    for (let i = 0; i < checks.length; i++) {
      facts.members = start;
      const r = checks[i]!(v);
      if (facts.members > end) end = facts.members;
      if (r > verdict) verdict = r;
      if (verdict === Verdict.INVALID) break;
    }
    facts.members = end;
    return verdict;
  };
}

/**
 * A scalar is valid when one alternative accepts it (every alternative
 * that does gives the same value). An object or a list may come out
 * different through each alternative that accepts it (defaults, optional
 * fields), which CUE may find ambiguous: valid only when exactly one
 * alternative accepts it and every other certainly refuses it.
 */
function disjunction(checks: readonly Check[]): Check {
  return (v) => {
    const start = facts.members;
    const composite = typeof v === "object" && v !== null;
    let valid = 0;
    let unsure = false;
    let end = start;
    for (let i = 0; i < checks.length; i++) {
      facts.members = start;
      const r = checks[i]!(v);
      if (r === Verdict.VALID) {
        valid++;
        end = facts.members;
        if (!composite) break;
      } else if (r === Verdict.UNKNOWN) unsure = true;
    }
    facts.members = end;
    if (valid === 1 && !unsure) return Verdict.VALID;
    if (valid > 0 && !composite) return Verdict.VALID;
    return valid === 0 && !unsure ? Verdict.INVALID : Verdict.UNKNOWN;
  };
}

type StructNode = Extract<ProgramNode, { k: "struct" }>;

function struct(node: StructNode, compile: (n: ProgramNode) => Check): Check {
  const fields = new Map<string, { required: boolean; check: Check }>();
  let requiredCount = 0;
  for (const f of node.fields ?? []) {
    fields.set(f.name, { required: f.required === true, check: compile(f.t) });
    if (f.required) requiredCount++;
  }
  const patterns = (node.patterns ?? []).map((p) => ({ match: labelMatch(p.match), check: compile(p.t) }));
  const rest = node.rest;
  return (v) => {
    if (!isObject(v)) return Verdict.INVALID;
    let required = 0;
    let verdict = Verdict.VALID;
    for (const key in v) {
      facts.members++;
      const value = v[key];
      const field = fields.get(key);
      let r = Verdict.VALID;
      if (field !== undefined) {
        if (field.required) required++;
        r = field.check(value);
      } else {
        let matched = false;
        for (let i = 0; i < patterns.length; i++) {
          const m = patterns[i]!.match(key);
          if (m === Verdict.INVALID) continue;
          matched = true;
          if (m === Verdict.UNKNOWN) r = Verdict.UNKNOWN;
          else {
            const p = patterns[i]!.check(value);
            if (p > r) r = p;
          }
        }
        if (!matched) r = rest === "open" ? any(value) : rest === "closed" ? Verdict.INVALID : Verdict.UNKNOWN;
      }
      if (r > verdict) verdict = r;
      if (verdict === Verdict.INVALID) return verdict;
    }
    // A missing field makes the value incomplete, not wrong: an alternative of a disjunction stays in the running.
    if (required !== requiredCount) return Verdict.UNKNOWN;
    return verdict;
  };
}

function labelMatch(match: ProgramNode): (key: string) => Verdict {
  switch (match.k) {
    case "any":
      return () => Verdict.VALID;
    case "const":
      return (key) => (key === match.v ? Verdict.VALID : Verdict.INVALID);
    case "regex": {
      const re = new RegExp(match.re);
      const want = !match.not;
      return (key) => (re.test(key) === want ? Verdict.VALID : Verdict.INVALID);
    }
    default:
      return () => Verdict.UNKNOWN;
  }
}

type ListNode = Extract<ProgramNode, { k: "list" }>;

function list(node: ListNode, compile: (n: ProgramNode) => Check): Check {
  const prefix = (node.prefix ?? []).map(compile);
  const elem = node.elem ? compile(node.elem) : undefined;
  const min = Math.max(node.min ?? 0, prefix.length);
  const max = elem ? (node.max ?? Infinity) : Math.min(node.max ?? Infinity, prefix.length);
  return (v) => {
    if (!Array.isArray(v)) return Verdict.INVALID;
    if (v.length < min || v.length > max) return Verdict.INVALID;
    let verdict = Verdict.VALID;
    for (let i = 0; i < v.length; i++) {
      const r = i < prefix.length ? prefix[i]!(v[i]) : elem!(v[i]);
      if (r > verdict) verdict = r;
      if (verdict === Verdict.INVALID) return verdict;
    }
    return verdict;
  };
}
