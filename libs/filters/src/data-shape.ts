/** JSON Schema's kinds of value. */
export type Kind = "string" | "integer" | "number" | "boolean" | "null" | "object" | "array";

/** The kinds a data field may hold; "any" when the schema does not constrain it. */
export type FieldKinds = ReadonlySet<Kind> | "any";

/** What one schema version says of its data's fields. */
export interface DataShape {
  /** The kinds the field at `path` may hold, or undefined when no valid document has it. */
  field(path: readonly string[]): FieldKinds | undefined;
}

/** A shape that knows nothing: every field may exist and hold anything. */
export const unknownShape: DataShape = { field: () => "any" };

type Schema = boolean | { readonly [keyword: string]: unknown };

/** Past this depth of `$ref`s and combinators the answer is "any": recursive schemas stay finite. */
const maxDepth = 64;

/**
 * The data shape of a JSON Schema (draft 2020-12, as the catalog's CUE engine
 * exports it): `type`, `const`, `enum`, `properties`, `patternProperties`,
 * `additionalProperties` (false for CUE's closed structs, true for open ones),
 * `allOf` (every branch holds), `anyOf`/`oneOf` (CUE disjunctions: one branch
 * holds) and `$ref` into the document. A keyword it does not read leaves the
 * field "any": the shape may allow more than the schema, never less.
 */
export function dataShape(schema: unknown): DataShape {
  const root = schema as Schema;
  return { field: (path) => at(root, root, path, 0) };
}

function at(root: Schema, schema: Schema | undefined, path: readonly string[], depth: number): FieldKinds | undefined {
  if (schema === false) return undefined;
  if (schema === undefined || schema === true || depth > maxDepth || typeof schema !== "object" || schema === null) return "any";
  let result = own(root, schema, path, depth);
  const ref = schema.$ref;
  if (typeof ref === "string") result = intersect(result, at(root, resolve(root, ref), path, depth + 1));
  for (const branch of list(schema.allOf)) result = intersect(result, at(root, branch, path, depth + 1));
  for (const keyword of ["anyOf", "oneOf"]) {
    const branches = list(schema[keyword]);
    if (branches.length > 0) result = intersect(result, union(branches.map((b) => at(root, b, path, depth + 1))));
  }
  return result;
}

/** What the schema's own keywords (not its combinators) say of the path. */
function own(root: Schema, schema: { readonly [keyword: string]: unknown }, path: readonly string[], depth: number): FieldKinds | undefined {
  const declared = declaredKinds(schema);
  if (path.length === 0) return declared;
  if (declared !== "any" && !declared.has("object")) return undefined;
  const [key, ...rest] = path as [string, ...string[]];
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties && Object.hasOwn(properties, key)) return at(root, properties[key], rest, depth + 1);
  const patterns = Object.entries((schema.patternProperties as Record<string, Schema> | undefined) ?? {}).filter(([p]) => matchesPattern(p, key));
  if (patterns.length > 0) return patterns.reduce<FieldKinds | undefined>((r, [, s]) => intersect(r, at(root, s, rest, depth + 1)), "any");
  const additional = schema.additionalProperties as Schema | undefined;
  return additional === false ? undefined : at(root, additional, rest, depth + 1);
}

function declaredKinds(schema: { readonly [keyword: string]: unknown }): FieldKinds {
  let kinds: FieldKinds = "any";
  const type = schema.type;
  if (typeof type === "string" || Array.isArray(type)) kinds = new Set((Array.isArray(type) ? type : [type]) as Kind[]);
  if (Object.hasOwn(schema, "const")) kinds = intersect(kinds, new Set([kindOf(schema.const)])) ?? new Set();
  if (Array.isArray(schema.enum)) kinds = intersect(kinds, new Set(schema.enum.map(kindOf))) ?? new Set();
  return kinds;
}

export function kindOf(value: unknown): Kind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    default:
      return "object";
  }
}

/** Both hold: an integer is a number, so number ∩ integer is integer; nothing in common is absent. */
function intersect(a: FieldKinds | undefined, b: FieldKinds | undefined): FieldKinds | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a === "any") return b;
  if (b === "any") return a;
  const out = new Set<Kind>();
  for (const k of a) {
    if (b.has(k) || (k === "integer" && b.has("number"))) out.add(k);
    else if (k === "number" && b.has("integer")) out.add("integer");
  }
  return out.size > 0 ? out : undefined;
}

function union(options: readonly (FieldKinds | undefined)[]): FieldKinds | undefined {
  const present = options.filter((o) => o !== undefined);
  if (present.length === 0) return undefined;
  if (present.includes("any")) return "any";
  return new Set(present.flatMap((o) => [...(o as ReadonlySet<Kind>)]));
}

function list(value: unknown): Schema[] {
  return Array.isArray(value) ? (value as Schema[]) : [];
}

/** A JSON pointer within the document ("#/$defs/E"); anything else is left unconstrained. */
function resolve(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node as Schema | undefined;
}

/** A pattern JavaScript cannot read (CUE uses RE2 syntax) counts as matching: the shape stays permissive. */
function matchesPattern(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, "u").test(key);
  } catch {
    return true;
  }
}

/** "a number", "a string or null", for messages. */
export function describeKinds(kinds: FieldKinds): string {
  if (kinds === "any") return "any value";
  const names = [...kinds].sort();
  const article = (k: string) => (/^[aeiou]/.test(k) ? `an ${k}` : `a ${k}`);
  return names.length === 1 ? article(names[0]!) : `${names.slice(0, -1).map(article).join(", ")} or ${article(names.at(-1)!)}`;
}
