import { canonical, compile, CesqlSyntaxError, parse, staticType, type Expression } from "@meshstream/cesql";
import { invalid } from "./errors";
import { dialects, type AttributeValues, type DialectFilter, type FilterSpec } from "./filter-spec";

/** A filter expression ready to evaluate: dialects as a tree, SQL compiled. */
export type Clause =
  | { readonly kind: "match"; readonly how: "exact" | "prefix" | "suffix"; readonly attribute: string; readonly value: string }
  | { readonly kind: "all" | "any"; readonly clauses: readonly Clause[] }
  | { readonly kind: "not"; readonly clause: Clause }
  | { readonly kind: "sql"; readonly expression: Expression; readonly field: string };

/** A filter checked for form and compiled, before the catalog is consulted. */
export interface PreparedFilter {
  /** The same for every spelling of the same filter: the cache key. */
  readonly key: string;
  readonly types: readonly string[];
  readonly typePrefixes: readonly string[];
  readonly sources: readonly string[];
  /** The SQL expression and the dialect filters, all of which must match; empty when types and sources decide alone. */
  readonly clauses: readonly Clause[];
}

/** CloudEvents attribute names (lower-case letters and digits, at most 20). */
const attributeName = /^[a-z0-9]{1,20}$/;
/** Nesting of all/any/not beyond this is refused: a filter is not a program. */
const maxNesting = 32;

/** Checks the form of a filter and compiles its expressions; throws FilterError naming the field under `at`. */
export function prepareFilter(spec: FilterSpec, at: string): PreparedFilter {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const types = strings(spec.types, field("types"));
  const typePrefixes = strings(spec.typePrefixes, field("typePrefixes"));
  const sources = strings(spec.sources, field("sources"));
  const clauses = (spec.filters ?? []).map((f, i) => dialect(f, field(`filters[${i}]`), 0));
  if (spec.sql) clauses.push(sql(spec.sql, field("sql")));
  const key = JSON.stringify([at, types, typePrefixes, sources, clauses.map(canonicalClause)]);
  return { key, types, typePrefixes, sources, clauses };
}

/** Sorted, without duplicates: their order does not change what they select. */
function strings(list: readonly string[] | undefined, field: string): string[] {
  const values = [...new Set(list ?? [])].sort();
  if (values.includes("")) throw invalid(field, "entries must not be empty");
  return values;
}

function dialect(filter: DialectFilter, field: string, depth: number): Clause {
  if (depth > maxNesting) throw invalid(field, `filters nest more than ${maxNesting} deep`);
  const set = typeof filter === "object" && filter !== null ? dialects.filter((d) => Object.hasOwn(filter, d) && (filter as Record<string, unknown>)[d] !== undefined) : [];
  if (set.length !== 1) throw invalid(field, `a filter sets exactly one of ${dialects.join(", ")} (this one sets ${set.length === 0 ? "none" : set.join(" and ")})`);
  const f = filter as Record<string, unknown>;
  const name = set[0]!;
  switch (name) {
    case "exact":
    case "prefix":
    case "suffix":
      return matches(name, f[name] as AttributeValues, `${field}.${name}`);
    case "all":
    case "any": {
      const nested = f[name] as readonly DialectFilter[];
      if (!Array.isArray(nested) || nested.length === 0) throw invalid(`${field}.${name}`, "needs one filter at least");
      return { kind: name, clauses: nested.map((n, i) => dialect(n, `${field}.${name}[${i}]`, depth + 1)) };
    }
    case "not":
      return { kind: "not", clause: dialect(f.not as DialectFilter, `${field}.not`, depth + 1) };
    case "sql":
      if (typeof f.sql !== "string" || f.sql === "") throw invalid(`${field}.sql`, "needs an expression");
      return sql(f.sql, `${field}.sql`);
  }
}

/** exact/prefix/suffix with several attributes: all of them must match (Subscriptions API). */
function matches(how: "exact" | "prefix" | "suffix", values: AttributeValues, field: string): Clause {
  if (typeof values !== "object" || values === null || Array.isArray(values)) throw invalid(field, "maps attribute names to values");
  const entries = Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) throw invalid(field, "needs one attribute at least");
  for (const [attribute, value] of entries) {
    if (!attributeName.test(attribute)) throw invalid(`${field}.${attribute}`, "an attribute name is 1 to 20 lower-case letters or digits");
    if (typeof value !== "string" || value === "") throw invalid(`${field}.${attribute}`, "the value must not be empty");
  }
  const clauses = entries.map(([attribute, value]): Clause => ({ kind: "match", how, attribute, value }));
  return clauses.length === 1 ? clauses[0]! : { kind: "all", clauses };
}

function sql(text: string, field: string): Clause {
  let expression: Expression;
  try {
    expression = compile(parse(text));
  } catch (err) {
    if (err instanceof CesqlSyntaxError) throw invalid(field, err.message);
    throw err;
  }
  const problem = expression.problems[0];
  if (problem) throw invalid(field, `${problem.error.message} (line ${problem.at.line}, column ${problem.at.column})`);
  const type = staticType(expression.ast);
  if (type !== "Boolean" && type !== "Any") throw invalid(field, `the expression is ${type === "Integer" ? "an Integer" : "a String"}; a filter needs a Boolean expression`);
  return { kind: "sql", expression, field };
}

function canonicalClause(clause: Clause): unknown {
  switch (clause.kind) {
    case "match":
      return [clause.how, clause.attribute, clause.value];
    case "all":
    case "any":
      return [clause.kind, ...clause.clauses.map(canonicalClause)];
    case "not":
      return ["not", canonicalClause(clause.clause)];
    case "sql":
      return ["sql", canonical(clause.expression.ast)];
  }
}
