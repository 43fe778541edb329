import type { ProgramNode, ValidatorProgram } from "@meshstream/cuelang-wasm";
import fc from "fast-check";

/**
 * Documents for a validator program, as JSON *text*: CUE reads more from the
 * text than JSON.parse does (how a number is written, keys given twice), so
 * the generator controls it. Values are biased towards what the schema
 * declares (its fields, its bounds, its kinds, its formats) and then
 * mutated, so that about half of them are valid and the rest fail in every
 * way the schema can fail.
 */
export type Json = null | boolean | string | Num | Json[] | Obj;

export class Num {
  constructor(readonly text: string) {}
}

export class Obj {
  constructor(readonly entries: readonly (readonly [string, Json])[]) {}
}

/** References followed in depth (recursive definitions). */
const maxRecursion = 3;

/** JSON text of a generated document; `ascii` escapes every non-ASCII character as Python's json.dumps does. */
export function toText(doc: Json, ascii: boolean, bom: boolean): string {
  const str = (s: string) => (ascii ? JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : JSON.stringify(s));
  const write = (v: Json): string => {
    if (v === null || typeof v === "boolean") return String(v);
    if (typeof v === "string") return str(v);
    if (v instanceof Num) return v.text;
    if (Array.isArray(v)) return `[${v.map(write).join(",")}]`;
    return `{${v.entries.map(([k, x]) => `${str(k)}:${write(x)}`).join(", ")}}`;
  };
  return (bom ? "\ufeff" : "") + write(doc);
}

/** A decimal m × 10^e. */
interface Decimal {
  readonly m: bigint;
  readonly e: number;
}

function decimal(text: string): Decimal {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return { m: 0n, e: 0 };
  const [, sign, int = "", frac = "", exp = "0"] = match;
  const m = BigInt(`${sign}${int}${frac}` || "0");
  return { m, e: Number(exp) - frac.length };
}

function plain(d: Decimal): string {
  const negative = d.m < 0n;
  const digits = (negative ? -d.m : d.m).toString();
  let s: string;
  if (d.e >= 0) s = digits + "0".repeat(d.e);
  else {
    const padded = digits.padStart(-d.e + 1, "0");
    s = `${padded.slice(0, d.e)}.${padded.slice(d.e)}`;
  }
  return negative ? `-${s}` : s;
}

/** Exact comparison of two decimals written as JSON numbers. */
function compareDecimals(a: string, b: string): number {
  const x = decimal(a);
  const y = decimal(b);
  const e = Math.min(x.e, y.e);
  const mx = x.m * 10n ** BigInt(x.e - e);
  const my = y.m * 10n ** BigInt(y.e - e);
  return mx < my ? -1 : mx > my ? 1 : 0;
}

/** The same number and its neighbours, written in the ways JSON allows (which CUE reads as int or float). */
function around(text: string): fc.Arbitrary<Num> {
  const d = decimal(text);
  const shift = (by: bigint, scale: number): Decimal => ({ m: d.m * 10n ** BigInt(Math.max(0, d.e - scale)) + by, e: Math.min(d.e, scale) });
  const candidates: string[] = [
    plain(d),
    `${d.m}e${d.e}`,
    d.e >= 0 ? `${plain(d)}.0` : `${plain(d)}0`,
    plain(shift(1n, 0)),
    plain(shift(-1n, 0)),
    plain(shift(1n, -1)),
    plain(shift(-1n, -1)),
    plain(shift(1n, d.e - 20)),
    plain(shift(-1n, d.e - 20)),
    `${plain(shift(5n, -1))}e0`,
  ];
  return fc.constantFrom(...candidates.filter((c) => /^-?\d+(\.\d+)?(e-?\d+)?$/.test(c))).map((t) => new Num(t));
}

const someNumber: fc.Arbitrary<Num> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map((n) => new Num(String(n))),
  // Doubles of a moderate magnitude: CUE's decimals take long over exponents in the hundreds, which the corpus covers.
  fc.double({ noNaN: true, min: -1e15, max: 1e15 }).map((n) => new Num(Object.is(n, -0) ? "-0.0" : String(n).replace("+", ""))),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => new Num(String(n))),
  fc.constantFrom("0", "-0", "0.0", "1.0", "1e2", "1E-2", "255", "256", "-1", "9007199254740993", "18446744073709551615", "1.5", "100.0", "1e300", "1.5e-300").map((t) => new Num(t)),
);

const someString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom("", "a", "A", "John", "ünï", "東京", "🎉", "a b", "__proto__", "constructor", "2021-01-02T15:04:05Z", "10.0.0.1"),
);

const scalar: fc.Arbitrary<Json> = fc.oneof(fc.constant(null), fc.boolean(), someString, someNumber);

/** Any small JSON value. */
export const anyJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.array(fc.tuple(someString, tie("value")), { maxLength: 3 }).map((entries) => new Obj(entries)),
  ),
})).value;

/**
 * Documents for `program`: half of them clean (every required field, values
 * drawn from what the schema declares, which leaves most of them valid and
 * many right at a bound), half noisy (values of other kinds anywhere, keys
 * missing, unknown or given twice).
 */
export function documents(program: ValidatorProgram): fc.Arbitrary<{ doc: Json; ascii: boolean; bom: boolean }> {
  const doc = fc.oneof(generator(program, false)(program.root, 0), generator(program, true)(program.root, 0));
  return fc.record({ doc, ascii: fc.boolean(), bom: fc.nat(49).map((n) => n === 0) });
}

const integral = /^-?\d+$/;

function generator(program: ValidatorProgram, noisy: boolean): (node: ProgramNode, depth: number) => fc.Arbitrary<Json> {
  const defs = program.defs ?? [];
  // Built once per node and depth: building an arbitrary (a regular expression's above all) costs more than drawing from it.
  const cache = new Map<ProgramNode, fc.Arbitrary<Json>[]>();
  const gen = (node: ProgramNode, depth: number): fc.Arbitrary<Json> => {
    const byDepth = cache.get(node) ?? [];
    cache.set(node, byDepth);
    let arb = byDepth[depth];
    if (!arb) {
      arb = noisy ? fc.oneof({ weight: 15, arbitrary: shaped(node, depth) }, { weight: 1, arbitrary: anyJson }) : shaped(node, depth);
      byDepth[depth] = arb;
    }
    return arb;
  };
  const shaped = (node: ProgramNode, depth: number): fc.Arbitrary<Json> => {
    switch (node.k) {
      case "any":
      case "engine":
        return anyJson;
      case "bool":
        return fc.boolean();
      case "string":
        return someString;
      case "int":
      case "float":
      case "number":
        return numbers([node], noisy) ?? someNumber;
      case "const":
        if (!noisy) return node.n !== undefined ? fc.constant(new Num(node.n)) : fc.constant(node.v as Json);
        return node.n !== undefined ? around(node.n) : fc.oneof(fc.constant(node.v as Json), scalar);
      case "ne":
        return node.n !== undefined ? around(node.n) : fc.oneof(fc.constant(node.v as Json), scalar);
      case "bound":
        return node.n !== undefined ? (numbers([node], noisy) ?? someNumber) : fc.oneof(fc.constant(node.v as string), someString);
      case "multipleOf":
        return fc.integer({ min: -50, max: 50 }).chain((k) => around(String(BigInt(k) * BigInt(Number(node.n ?? 1)))));
      case "regex":
        return noisy ? fc.oneof({ weight: 3, arbitrary: matching(node.re) }, { weight: 1, arbitrary: someString }) : matching(node.re);
      case "runes":
      case "items": {
        const n = node.min ?? node.max ?? 1;
        const length = noisy ? { minLength: Math.max(0, n - 1), maxLength: n + 1 } : { minLength: node.min ?? 0, maxLength: Math.min(node.max ?? n + 3, (node.min ?? 0) + 3) };
        if (node.k === "items") return fc.array(scalar, length);
        return fc.oneof(fc.string(length), fc.string({ unit: "binary", ...length }));
      }
      case "format":
        return formatted(node.format, noisy);
      case "and": {
        const numeric = numbers(node.of, noisy);
        if (numeric) return numeric;
        // A list with list.MinItems/MaxItems beside it: one list of a length both accept.
        const parts = flatAnd(node.of);
        const list = parts.find((n) => n.k === "list");
        if (list?.k === "list") {
          const lengths = parts.flatMap((n) => (n.k === "items" ? [n] : []));
          const min = Math.max(list.min ?? 0, ...lengths.map((n) => n.min ?? 0));
          const max = Math.min(list.max ?? Infinity, ...lengths.map((n) => n.max ?? Infinity));
          return gen({ ...list, min, ...(max < Infinity ? { max } : {}) }, depth);
        }
        // A string under strings.MinRunes/MaxRunes: one of a length both accept.
        const runes = parts.flatMap((n) => (n.k === "runes" ? [n] : []));
        if (runes.length > 0 && parts.every((n) => n.k === "runes" || n.k === "string")) {
          const min = Math.max(...runes.map((n) => n.min ?? 0));
          const max = Math.min(...runes.map((n) => n.max ?? min + 8));
          return gen({ k: "runes", min, max }, depth);
        }
        return fc.oneof(...node.of.map((n) => gen(n, depth)));
      }
      case "or":
        return fc.oneof(...node.of.map((n) => gen(n, depth)));
      case "ref":
        return depth >= maxRecursion ? scalar : fc.constant(null).chain(() => gen(defs[node.def]!, depth + 1));
      case "list": {
        const prefix = (node.prefix ?? []).map((n) => gen(n, depth));
        const most = depth >= maxRecursion ? 0 : Math.min(3, node.max ?? 3);
        const rest = node.elem ? fc.array(gen(node.elem, depth), { minLength: Math.min(most, Math.max(0, (node.min ?? 0) - prefix.length)), maxLength: most }) : fc.constant([]);
        return fc.tuple(fc.tuple(...prefix), rest, fc.nat(9)).map(([p, r, cut]): Json => {
          const all = [...p, ...r];
          // Sometimes one element too few.
          return noisy && cut === 0 && all.length > 0 ? all.slice(0, -1) : all;
        });
      }
      case "struct": {
        const fields = (node.fields ?? []).map((f) => fc.tuple(fc.constant(f.name), gen(f.t, depth), fc.nat(99), fc.constant(f.required === true)));
        const patternKeys = (node.patterns ?? []).map((p) => fc.tuple(labelFor(p.match), gen(p.t, depth)));
        const extras = fc.array(noisy ? fc.oneof(...patternKeys, fc.tuple(someString, anyJson)) : patternKeys.length ? fc.oneof(...patternKeys) : fc.constant(null), {
          maxLength: depth >= maxRecursion ? 0 : 2,
        });
        return fc.tuple(fc.tuple(...fields), extras, fc.nat(99), fc.nat(99)).chain(([declared, extra, extraRoll, dupRoll]) => {
          const entries: [string, Json][] = [];
          for (const [name, value, roll, required] of declared) if (roll < (required ? (noisy ? 90 : 100) : 50)) entries.push([name, value]);
          for (const e of extra) if (e && (noisy ? extraRoll < 30 : extraRoll < 50)) entries.push([e[0], e[1]]);
          // A key given twice, with the same value or another.
          if (noisy && dupRoll < 6 && entries.length > 0) entries.push(dupRoll < 3 ? entries[0]! : [entries[0]![0], null]);
          return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }).map((e) => new Obj(e));
        });
      }
    }
  };
  return gen;
}

const flatAnd = (list: readonly ProgramNode[]): ProgramNode[] => list.flatMap((n) => (n.k === "and" ? flatAnd(n.of) : [n]));

/**
 * Numbers for a conjunction of kinds and bounds: each bound, its neighbours
 * and the same values written otherwise (1, 1.0, 1e0); clean documents keep
 * to the kind the conjunction asks for. Undefined when `nodes` are not all numeric.
 */
function numbers(nodes: readonly ProgramNode[], noisy: boolean): fc.Arbitrary<Num> | undefined {
  let kind: "int" | "float" | "number" = "number";
  const bounds: { op: string; n: string }[] = [];
  for (const n of flatAnd(nodes)) {
    if (n.k === "int" || n.k === "float") kind = n.k;
    else if (n.k === "bound" && n.n !== undefined) bounds.push({ op: n.op, n: n.n });
    else if (n.k !== "number") return undefined;
  }
  const near = bounds.length ? fc.oneof(...bounds.map((b) => around(b.n))) : someNumber;
  if (noisy) return fc.oneof({ weight: 3, arbitrary: near }, { weight: 1, arbitrary: someNumber });
  const fits = (t: Num) =>
    (kind === "number" || integral.test(t.text) === (kind === "int")) &&
    bounds.every((b) => {
      const c = compareDecimals(t.text, b.n);
      return b.op === "<" ? c < 0 : b.op === "<=" ? c <= 0 : b.op === ">" ? c > 0 : c >= 0;
    });
  // Bounds always have a neighbour inside (or are inside), unless the range is empty.
  const candidates = fc.sample(near, { seed: 1, numRuns: 50 });
  return candidates.some(fits) ? near.filter(fits) : near;
}

function matching(source: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(source), { size: "xsmall" });
  } catch {
    return someString;
  }
}

function labelFor(match: ProgramNode): fc.Arbitrary<string> {
  if (match.k === "regex") return matching(match.re);
  if (match.k === "const" && typeof match.v === "string") return fc.constant(match.v);
  return someString;
}

function formatted(format: "rfc3339" | "date" | "uuid" | "ipv4", noisy: boolean): fc.Arbitrary<string> {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const date = noisy
    ? fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    : fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }));
  switch (format) {
    case "date":
      return date.map(([y, m, d]) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`);
    case "rfc3339":
      return fc
        .tuple(
          date,
          fc.integer({ min: 0, max: noisy ? 24 : 23 }),
          fc.integer({ min: 0, max: noisy ? 60 : 59 }),
          noisy ? fc.constantFrom("", ".5", ",5", ".1234567891") : fc.constantFrom("", ".5", ".123456789"),
          noisy ? fc.constantFrom("Z", "z", "+24:00", "+0200") : fc.constantFrom("Z", "+02:00", "-23:59"),
          noisy ? fc.constantFrom("T", "t", " ") : fc.constant("T"),
        )
        .map(([[y, m, d], h, min, frac, zone, t]) => `${pad(y, 4)}-${pad(m)}-${pad(d)}${t}${pad(h)}:${pad(min)}:${pad(min % 61)}${frac}${zone}`);
    case "uuid":
      return fc.tuple(fc.uuid(), fc.nat(noisy ? 5 : 4)).map(([u, form]) => [u, u.toUpperCase(), `urn:uuid:${u}`, `{${u}}`, u.replace(/-/g, ""), u.slice(1)][form]!);
    case "ipv4":
      return noisy ? fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.constantFrom("1.2.3.04", "256.1.1.1", "1.2.3", "::1", "1.2.3.4.5")) : fc.ipV4();
  }
}
