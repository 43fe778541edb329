import { dataFieldName, children, parameterType, resolveFunction, staticType, walk, type CesqlType, type Node } from "@meshstream/cesql";
import { describeKinds, type DataShape, type FieldKinds } from "./data-shape";
import { invalid } from "./errors";
import type { Clause } from "./prepare";

/** One event type with the shape of each of its schema versions. */
export interface TypeShapes {
  readonly type: string;
  readonly versions: readonly { readonly version: number; readonly shape: DataShape }[];
}

type DataNode = Extract<Node, { kind: "data" }>;

/** A place where CESQL casts a data field to a type: the field must be able to hold that kind. */
interface Use {
  readonly node: DataNode;
  readonly expected: CesqlType;
  /** What the expression does with the field, for the message. */
  readonly how: string;
}

/**
 * Every `data.` field of the filter's expressions must exist in the schema
 * of one version at least of one type the filter can match (a field that
 * only some types have is allowed); and where CESQL would cast the field
 * (compared with a literal, used in arithmetic, matched with LIKE, given to
 * a typed function parameter), one of those versions must let it hold that
 * kind. Explicit casts (INT, STRING, BOOL, IS_INT, IS_BOOL) take anything.
 */
export function checkDataFields(clauses: readonly Clause[], types: readonly TypeShapes[]): void {
  for (const { expression, field } of sqlClauses(clauses)) {
    const root = expression.ast;
    const where = (n: Node) => `line ${n.at.line}, column ${n.at.column}`;
    for (const node of walk(root)) {
      if (node.kind !== "data") continue;
      if (holders(types, node.path).length === 0) {
        throw invalid(field, `unknown data field ${dataFieldName(node.path)} (${where(node)}): not in the schema of ${versionsText(types)}`);
      }
    }
    const all: Use[] = root.kind === "data" ? [{ node: root, expected: "Boolean", how: "uses it as the whole condition" }] : [];
    for (const node of walk(root)) all.push(...uses(node));
    for (const use of all) {
      const found = holders(types, use.node.path);
      if (found.some((h) => accepts(h.kinds, use.expected))) continue;
      const name = dataFieldName(use.node.path);
      const kinds = found.map((h) => `${describeKinds(h.kinds)} in ${h.type} (schema version ${h.version})`).join(", ");
      const cast = use.expected === "String" ? "STRING" : use.expected === "Integer" ? "INT" : "BOOL";
      throw invalid(field, `${name} is ${kinds}, but the filter ${use.how} (${where(use.node)}), which needs ${article(use.expected)}; cast it explicitly, e.g. ${cast}(${name}), to mean that`);
    }
  }
}

function* sqlClauses(clauses: readonly Clause[]): Generator<Extract<Clause, { kind: "sql" }>> {
  for (const c of clauses) {
    if (c.kind === "sql") yield c;
    else if (c.kind === "all" || c.kind === "any") yield* sqlClauses(c.clauses);
    else if (c.kind === "not") yield* sqlClauses([c.clause]);
  }
}

function holders(types: readonly TypeShapes[], path: readonly string[]) {
  return types.flatMap((t) =>
    t.versions.flatMap((v) => {
      const kinds = v.shape.field(path);
      return kinds === undefined ? [] : [{ type: t.type, version: v.version, kinds }];
    }),
  );
}

function accepts(kinds: FieldKinds, expected: CesqlType): boolean {
  if (kinds === "any") return true;
  switch (expected) {
    case "Integer":
      return kinds.has("integer") || kinds.has("number");
    case "String":
      return kinds.has("string");
    case "Boolean":
      return kinds.has("boolean");
  }
}

const article = (t: CesqlType) => (t === "Integer" ? "an Integer" : `a ${t}`);

/** How an operand reads in a message: a literal as written, anything else by its type. */
function text(node: Node): string {
  if (node.kind === "literal") {
    const v = node.value;
    return typeof v === "string" ? `the String '${v.replace(/'/g, "''")}'` : typeof v === "number" ? `the Integer ${v}` : `the Boolean ${String(v).toUpperCase()}`;
  }
  const type = staticType(node);
  return type === "Any" ? "an expression" : `${article(type)} expression`;
}

/** The data fields among a node's direct operands that CESQL casts, and to what. */
function uses(node: Node): Use[] {
  const out: Use[] = [];
  const need = (operand: Node, expected: CesqlType | "Any", how: string) => {
    if (operand.kind === "data" && expected !== "Any") out.push({ node: operand, expected, how });
  };
  switch (node.kind) {
    case "not":
      need(node.operand, "Boolean", "negates it with NOT");
      break;
    case "negate":
      need(node.operand, "Integer", "negates it with -");
      break;
    case "like":
      need(node.operand, "String", `matches it with LIKE '${node.pattern.replace(/'/g, "''")}'`);
      break;
    case "in":
      for (const element of node.set) {
        need(node.operand, staticType(element), `looks for it among values such as ${text(element)}`);
        need(element, staticType(node.operand), `looks for ${text(node.operand)} among its values`);
      }
      break;
    case "call": {
      const f = resolveFunction(node.name, node.args.length);
      if (f) node.args.forEach((a, i) => need(a, parameterType(f, i), `passes it to ${node.name}()`));
      break;
    }
    case "binary": {
      const [l, r] = children(node) as [Node, Node];
      if (node.op === "AND" || node.op === "OR" || node.op === "XOR") {
        need(l, "Boolean", `uses it as a condition of ${node.op}`);
        need(r, "Boolean", `uses it as a condition of ${node.op}`);
      } else if (node.op === "=" || node.op === "!=" || node.op === "<>") {
        need(l, staticType(r), `compares it with ${text(r)}`);
        need(r, staticType(l), `compares it with ${text(l)}`);
      } else if (["<", "<=", ">", ">="].includes(node.op)) {
        need(l, "Integer", `compares it with ${node.op} ${text(r)}`);
        need(r, "Integer", `compares it with ${text(l)} ${node.op}`);
      } else {
        need(l, "Integer", `uses it in arithmetic (${node.op})`);
        need(r, "Integer", `uses it in arithmetic (${node.op})`);
      }
      break;
    }
    default:
      break;
  }
  return out;
}

function versionsText(types: readonly TypeShapes[]): string {
  return types.map((t) => `${t.type} (schema version${t.versions.length === 1 ? "" : "s"} ${t.versions.map((v) => v.version).join(", ") || "none"})`).join(", ");
}
