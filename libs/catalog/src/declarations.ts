import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CueEngineError, type CueEngine, type CueViolation } from "@meshstream/cuelang-wasm";
import type { Catalog } from "./catalog";
import type { CompatibilityPolicy } from "./compatibility";
import type { DataProductAccess } from "./model";

interface Declaration {
  product: { name: string; owner: string; description?: string; source?: string };
  access?: Partial<DataProductAccess>;
  types?: Record<string, { description?: string; compatibility?: CompatibilityPolicy; definition: string; schema: string; deadLetter?: boolean }>;
}

/** A declaration the platform cannot load: the start stops with file:line:column and the reason. */
export class DeclarationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeclarationError";
  }
}

const where = (file: string, v: CueViolation | undefined) => (v?.line ? `${v.file ?? file}:${v.line}:${v.column}` : file);

/**
 * Loads every `schemas/<product>/product.cue`, in name order, into the
 * catalog. Idempotent: what is there already is left as it is, and a schema
 * source registered before is recognised, so a restart registers nothing twice.
 */
export async function loadDeclarations(dir: string, catalog: Catalog, engine: CueEngine): Promise<{ products: number; types: number }> {
  if (!existsSync(dir)) return { products: 0, types: 0 };
  const shape = await catalog.declarationShape();
  let products = 0;
  let types = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = join(dir, entry.name, "product.cue");
    if (!existsSync(file)) continue;
    const declaration = await read(engine, shape, file);
    await apply(catalog, declaration, join(dir, entry.name), file);
    products++;
    types += Object.keys(declaration.types ?? {}).length;
  }
  return { products, types };
}

async function read(engine: CueEngine, shape: Awaited<ReturnType<CueEngine["compile"]>>, file: string): Promise<Declaration> {
  try {
    const source = await engine.compile(readFileSync(file, "utf8"), file);
    try {
      const data = await engine.exportJson(source);
      const problems = await engine.validate({ schema: shape, definition: "#Declaration" }, JSON.stringify(data));
      if (problems.length > 0) {
        throw new DeclarationError(`${file}: ${problems.map((p) => p.message.replace(/^#Declaration\.?/, "") || "declaration").join("; ")}`);
      }
      return data as Declaration;
    } finally {
      engine.release(source);
    }
  } catch (err) {
    if (err instanceof CueEngineError) throw new DeclarationError(`${where(file, err.violations[0])}: ${err.violations[0]?.message ?? err.message}`);
    throw err;
  }
}

async function apply(catalog: Catalog, d: Declaration, folder: string, file: string): Promise<void> {
  const fail = (err: unknown): never => {
    throw new DeclarationError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  };
  // Another platform instance sharing the catalog may load the same declarations at the same time.
  const unlessThere = (err: unknown) => ((err as { code?: unknown }).code === "already_exists" ? undefined : fail(err));
  const known = (fn: () => unknown) => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };
  const { name, owner, description = "", source = "" } = d.product;
  if (!known(() => catalog.getDataProduct(name))) await catalog.createDataProduct({ name, owner, description, source, access: d.access }).catch(unlessThere);
  // The declared access wins at every start; a product that declares none keeps what the Catalog API set.
  if (d.access && !sameAccess(catalog.getDataProduct(name).access, d.access)) await catalog.setDataProductAccess(name, d.access).catch(fail);
  for (const [type, t] of Object.entries(d.types ?? {})) {
    if (!known(() => catalog.getEventType(type))) {
      await catalog
        .registerEventType({ type, dataProduct: name, description: t.description ?? "", compatibility: t.compatibility ?? "BACKWARD", definition: t.definition, ...(t.deadLetter ? { deadLetter: true } : {}) })
        .catch(unlessThere);
    }
    const schemaFile = join(folder, t.schema);
    if (!existsSync(schemaFile)) fail(new Error(`types."${type}".schema: ${t.schema} does not exist beside the declaration`));
    await catalog.registerSchemaVersion({ type, cueSource: readFileSync(schemaFile, "utf8"), definition: t.definition }).catch(fail);
  }
}

function sameAccess(stored: DataProductAccess | undefined, declared: Partial<DataProductAccess>): boolean {
  const list = (l: readonly string[] | undefined) => JSON.stringify(l ?? []);
  return !!stored && (["owners", "producers", "consumers"] as const).every((role) => list(stored[role]) === list(declared[role]));
}
