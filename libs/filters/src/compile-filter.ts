import { ClauseMatcher, type CompiledFilter } from "./compiled-filter";
import type { DataShape } from "./data-shape";
import { FilterError } from "./errors";
import type { FilterSpec } from "./filter-spec";
import { prepareFilter, type PreparedFilter } from "./prepare";
import { canMatch, type TypeKnowledge } from "./reach";
import { checkDataFields } from "./schema-check";

/** One event type of the catalog with the data shape of each of its schema versions. */
export interface EventTypeSchemas {
  readonly type: string;
  readonly dataProduct: string;
  readonly versions: readonly { readonly version: number; readonly shape: DataShape }[];
}

/** What a filter is checked against: every event type the catalog knows. */
export interface SchemaInfo {
  readonly eventTypes: readonly EventTypeSchemas[];
}

export interface CompileOptions {
  /** Where the filter sits in the request, prefixed to the fields named in errors (e.g. "filter"). */
  readonly at?: string;
}

/**
 * Compiles a filter against the catalog, once: throws FilterError
 * (INVALID_ARGUMENT for a malformed filter, a CESQL syntax error with its
 * position, a data field no matched schema has or one compared with the
 * wrong kind; NOT_FOUND for a type, a prefix or a whole filter that matches
 * no known event type).
 */
export function compileFilter(spec: FilterSpec, schemas: SchemaInfo, options: CompileOptions = {}): CompiledFilter {
  return finishFilter(prepareFilter(spec, options.at ?? ""), schemas, options.at ?? "");
}

export function finishFilter(p: PreparedFilter, schemas: SchemaInfo, at: string): CompiledFilter {
  const known = new Set(schemas.eventTypes.map((t) => t.type));
  for (const t of p.types) if (!known.has(t)) throw new FilterError("not_found", `event type ${t} not found`);
  for (const prefix of p.typePrefixes) {
    if (!schemas.eventTypes.some((t) => t.type.startsWith(prefix))) throw new FilterError("not_found", `no event type starts with ${JSON.stringify(prefix)}`);
  }
  const anyType = p.types.length === 0 && p.typePrefixes.length === 0;
  const selected = schemas.eventTypes.filter((t) => anyType || p.types.includes(t.type) || p.typePrefixes.some((prefix) => t.type.startsWith(prefix)));
  const base = { key: p.key, sources: p.sources };
  if (p.clauses.length === 0) {
    // Types and sources decide on the record's headers, as they always did: a prefix also takes types registered later.
    const products = productsOf(selected);
    return { ...base, products, types: p.types, typePrefixes: p.typePrefixes, hasPredicate: false, matcher: () => new ClauseMatcher([]) };
  }
  const candidates = selected.filter((t) => canMatch(p.clauses, knowledge(t, false)));
  if (candidates.length === 0) throw new FilterError("not_found", `${at ? `${at}: ` : ""}no event type known to the catalog can match this filter`, at ? [{ field: at, description: "matches no known event type" }] : []);
  checkDataFields(p.clauses, candidates);
  // Types whose schemas rule out every match (a data field none of their versions has) are not even decoded.
  const reachable = candidates.filter((t) => canMatch(p.clauses, knowledge(t, true)));
  if (reachable.length === 0) throw new FilterError("not_found", `${at ? `${at}: ` : ""}no event type known to the catalog can match this filter with the data its schemas allow`, at ? [{ field: at, description: "matches no known event type" }] : []);
  return {
    ...base,
    products: productsOf(reachable),
    types: reachable.map((t) => t.type).sort(),
    typePrefixes: [],
    hasPredicate: true,
    matcher: () => new ClauseMatcher(p.clauses),
  };
}

const productsOf = (types: readonly EventTypeSchemas[]) => [...new Set(types.map((t) => t.dataProduct))].sort();

/** What holds for every event of the type: its type and specversion; with `schemas`, the data fields no version has. */
function knowledge(t: EventTypeSchemas, schemas: boolean): TypeKnowledge {
  return {
    attributes: new Map([
      ["type", t.type],
      ["specversion", "1.0"],
    ]),
    absent: (path) => schemas && t.versions.every((v) => v.shape.field(path) === undefined),
  };
}
