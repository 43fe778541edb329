/** The part of a JSON Schema (draft 2020-12, as the CUE engine exports it) the probe reads. */
interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema | boolean>>;
  readonly items?: JsonSchema | boolean;
  readonly allOf?: readonly (JsonSchema | boolean)[];
  readonly anyOf?: readonly (JsonSchema | boolean)[];
  readonly oneOf?: readonly (JsonSchema | boolean)[];
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
}

/**
 * How each probe document fills a value:
 * - typical: the schema's own default (or const, or first enum value), else the smallest value the bounds allow;
 * - large: numbers at their upper bound or 10^9, strings of 1,000 characters, lists of 1,000 typical elements (or the bounds);
 * - small: numbers at their lower bound or -10^9, empty strings and lists;
 * - mixed: numbers alternately large and small, field by field, so that a difference of two fields is large too.
 */
export type ProbeKind = "typical" | "large" | "small" | "mixed";
export const probeKinds: readonly ProbeKind[] = ["typical", "large", "small", "mixed"];

const big = 1e9;
const maxDepth = 8;

/**
 * Documents to evaluate a new schema with before it is registered: a schema
 * whose evaluation on one of them runs past the time or memory limit (say a
 * `list.Range(0, n, 1)` on a field `n`) is refused. They need not be valid:
 * only the cost of evaluating them counts. Fields the schema computes itself
 * (exported as `true`) are left out.
 */
export function probeDocuments(root: JsonSchema): unknown[] {
  return probeKinds.map((documentKind) => {
    let turn = 0;
    // Elements of a large list are typical: the document stays small enough to evaluate quickly when the schema is sound.
    const generate = (schema: JsonSchema | boolean | undefined, depth: number, kind = documentKind): unknown => {
      if (typeof schema !== "object" || depth > maxDepth) return null;
      const s = resolve(root, schema);
      if ("const" in s) return s.const;
      if (s.enum?.length) return s.enum[0];
      if (kind === "typical" && "default" in s) return s.default;
      const types = typeof s.type === "string" ? [s.type] : (s.type ?? []);
      const type = types.find((t) => t !== "null") ?? types[0] ?? (s.properties ? "object" : s.items ? "array" : undefined);
      const high = s.maximum ?? (s.exclusiveMaximum === undefined ? big : s.exclusiveMaximum - 1);
      const low = s.minimum ?? (s.exclusiveMinimum === undefined ? -big : s.exclusiveMinimum + 1);
      switch (type) {
        case "object":
          return Object.fromEntries(
            Object.entries(s.properties ?? {})
              .filter(([, p]) => p !== true)
              .map(([name, p]) => [name, generate(p, depth + 1, kind)]),
          );
        case "array": {
          const length = kind === "large" ? Math.min(s.maxItems ?? 1000, 1000) : kind === "small" ? (s.minItems ?? 0) : Math.max(s.minItems ?? 0, 1);
          const item = generate(s.items, depth + 1, kind === "large" ? "typical" : kind);
          return Array.from({ length: Math.max(0, length) }, () => item);
        }
        case "string":
          return "x".repeat(kind === "large" ? Math.min(s.maxLength ?? 1000, 1000) : kind === "small" ? 0 : Math.max(s.minLength ?? 0, 1));
        case "integer":
        case "number": {
          const large = kind === "large" || (kind === "mixed" && turn++ % 2 === 0);
          if (kind === "typical") return Math.min(Math.max(low, 0), high);
          return large ? high : low;
        }
        case "boolean":
          return kind === "large";
        default:
          return null;
      }
    };
    return generate(root, 0);
  });
}

/** A schema with its $ref followed and its allOf merged into one. */
function resolve(root: JsonSchema, schema: JsonSchema, depth = 0): JsonSchema {
  if (depth > maxDepth) return {};
  let s = schema;
  if (s.$ref?.startsWith("#/$defs/")) s = { ...resolve(root, root.$defs?.[s.$ref.slice("#/$defs/".length)] ?? {}, depth + 1), ...s, $ref: undefined };
  if (s.allOf) s = Object.assign({}, ...s.allOf.map((a) => (typeof a === "object" ? resolve(root, a, depth + 1) : {})), { ...s, allOf: undefined });
  const alternative = (s.oneOf ?? s.anyOf)?.find((a): a is JsonSchema => typeof a === "object");
  if (alternative && !s.type) s = { ...resolve(root, alternative, depth + 1), ...s, oneOf: undefined, anyOf: undefined };
  return s;
}
