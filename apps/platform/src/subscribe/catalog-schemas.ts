import type { Catalog, EventType } from "@meshstream/catalog";
import type { CueEngine } from "@meshstream/cuelang-wasm";
import { FilterCompiler, type SchemaSource } from "@meshstream/filters";

/** The catalog as filters see it: every event type, and the JSON Schema the CUE engine exports for a version. */
function catalogSchemas(catalog: Catalog, engine: CueEngine): SchemaSource {
  return {
    eventTypes() {
      const all: EventType[] = [];
      let token = "";
      do {
        const page = catalog.listEventTypes("", 1000, token);
        all.push(...page.items);
        token = page.nextPageToken;
      } while (token);
      // Versions are numbered 1, 2, … as they are registered.
      return all.map((t) => ({ type: t.type, dataProduct: t.dataProduct, versions: Array.from({ length: t.latestVersion }, (_, i) => i + 1) }));
    },
    async jsonSchema(type, version) {
      const v = catalog.getSchemaVersion(type, version);
      return engine.jsonSchema({ schema: await catalog.schemaOf(v), definition: v.definition });
    },
  };
}

/** One compiler for the platform, its cache emptied whenever the catalog changes. */
export function filterCompiler(catalog: Catalog, engine: CueEngine): FilterCompiler {
  const compiler = new FilterCompiler(catalogSchemas(catalog, engine));
  catalog.watch(() => compiler.invalidate());
  return compiler;
}
