import { walk } from "@meshstream/cesql";
import { finishFilter, type EventTypeSchemas } from "./compile-filter";
import type { CompiledFilter } from "./compiled-filter";
import { dataShape, unknownShape, type DataShape } from "./data-shape";
import type { FilterSpec } from "./filter-spec";
import { prepareFilter, type Clause } from "./prepare";

/** Where a FilterCompiler learns the catalog: its event types and the JSON Schema of each schema version. */
export interface SchemaSource {
  eventTypes(): readonly { readonly type: string; readonly dataProduct: string; readonly versions: readonly number[] }[];
  /** The JSON Schema of one version's data; a version never changes once registered. */
  jsonSchema(type: string, version: number): Promise<unknown>;
}

export interface FilterCompilerOptions {
  /** Compiled filters kept for reuse, the least recently used dropped first. */
  readonly cacheSize?: number;
}

/**
 * Compiles filters against a live catalog, once per distinct filter:
 * identical subscriptions (however spelled) share one CompiledFilter. Data
 * shapes are derived from each schema version's JSON Schema once, and only
 * when a filter names a data field. Call `invalidate()` when the catalog
 * changes: filters compiled later see the new types and versions (those in
 * use keep what they resolved when they started).
 */
export class FilterCompiler {
  private readonly compiled = new Map<string, Promise<CompiledFilter>>();
  private readonly shapes = new Map<string, Promise<DataShape>>();
  private readonly cacheSize: number;

  constructor(
    private readonly source: SchemaSource,
    options: FilterCompilerOptions = {},
  ) {
    this.cacheSize = options.cacheSize ?? 256;
  }

  /** As compileFilter; throws FilterError. */
  compile(spec: FilterSpec, options: { at?: string } = {}): Promise<CompiledFilter> {
    const at = options.at ?? "";
    const prepared = prepareFilter(spec, at);
    const hit = this.compiled.get(prepared.key);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.compiled.delete(prepared.key);
      this.compiled.set(prepared.key, hit);
      return hit;
    }
    const result = this.schemaInfo(namesData(prepared.clauses)).then((eventTypes) => finishFilter(prepared, { eventTypes }, at));
    this.compiled.set(prepared.key, result);
    // A refused filter is not kept: the catalog may change before it is asked again.
    result.catch(() => this.compiled.delete(prepared.key));
    while (this.compiled.size > this.cacheSize) this.compiled.delete(this.compiled.keys().next().value!);
    return result;
  }

  /** Forgets compiled filters: the catalog changed. */
  invalidate(): void {
    this.compiled.clear();
  }

  /** Compiled filters held now. */
  get size(): number {
    return this.compiled.size;
  }

  private async schemaInfo(withShapes: boolean): Promise<EventTypeSchemas[]> {
    return Promise.all(
      this.source.eventTypes().map(async (t) => ({
        type: t.type,
        dataProduct: t.dataProduct,
        versions: await Promise.all(t.versions.map(async (version) => ({ version, shape: withShapes ? await this.shape(t.type, version) : unknownShape }))),
      })),
    );
  }

  private shape(type: string, version: number): Promise<DataShape> {
    const key = `${type}@${version}`;
    let shape = this.shapes.get(key);
    if (!shape) {
      shape = this.source.jsonSchema(type, version).then(dataShape);
      this.shapes.set(key, shape);
      shape.catch(() => this.shapes.delete(key));
    }
    return shape;
  }
}

function namesData(clauses: readonly Clause[]): boolean {
  return clauses.some((c) => {
    switch (c.kind) {
      case "sql":
        return [...walk(c.expression.ast)].some((n) => n.kind === "data");
      case "all":
      case "any":
        return namesData(c.clauses);
      case "not":
        return namesData([c.clause]);
      default:
        return false;
    }
  });
}
