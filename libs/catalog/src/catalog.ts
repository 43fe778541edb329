import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { CueDocumentError, CueInternalError, CueLimitError, CueSyntaxError, CueTimeoutError, type CueEngine, type Definition, type Schema } from "@meshstream/cuelang-wasm";
import type { CatalogStore } from "./catalog-store";
import { incompatibilities, IncompatibleSchemaError, type CompatibilityPolicy } from "./compatibility";
import { declarationSchema } from "./declaration-schema";
import { CatalogError, type DataProduct, type DataProductAccess, type EventType, type SchemaVersion } from "./model";
import { paginate, type Page } from "./page";
import { probeDocuments, probeKinds } from "./probe-documents";

/** One change to the catalog, as watchers receive it. */
export type CatalogChange =
  | { readonly kind: "dataProduct"; readonly value: DataProduct }
  | { readonly kind: "eventType"; readonly value: EventType }
  | { readonly kind: "schemaVersion"; readonly value: SchemaVersion };

export interface CatalogOptions {
  /** Largest CUE source accepted. */
  readonly maxSourceBytes: number;
}

/** CloudEvents `type`: the spec asks for a non-empty string; the platform keeps it printable and path-safe. */
const typeName = /^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,254}$/;
const productName = /^[a-z][a-z0-9-]{0,62}$/;
const definitionName = /^#[A-Za-z_][A-Za-z0-9_]*$/;
const maxTypeName = 255;
const maxProductName = 63;
/** Tries of one registration that keeps losing races before it answers ABORTED. */
const maxRegisterAttempts = 5;

/** A name too long to be one the catalog could hold: INVALID_ARGUMENT naming the limit (and no store lookup with it). */
function checkLength(what: string, name: string, limit: number): void {
  if (name.length > limit) throw new CatalogError("invalid_argument", `${what} of ${name.length} characters is longer than the limit of ${limit} characters`);
}

/**
 * Data products, their event types and the versioned CUE schemas of those
 * types. Compiled schemas are kept per (type, version) for validation.
 */
export class Catalog {
  private readonly compiled = new Map<string, Promise<Schema>>();
  private shape?: Promise<Schema>;
  private readonly changes = new EventEmitter().setMaxListeners(0);

  /** Calls `listener` with every change from now on; returns the function that stops it. */
  watch(listener: (change: CatalogChange) => void): () => void {
    this.changes.on("change", listener);
    return () => this.changes.off("change", listener);
  }

  private changed(change: CatalogChange): void {
    this.changes.emit("change", change);
  }

  constructor(
    private readonly store: CatalogStore,
    private readonly engine: CueEngine,
    private readonly options: CatalogOptions,
  ) {
    // What other instances sharing the store register reaches this one's watchers too (caches, WatchCatalog).
    store.watchOthers?.((entry) => {
      switch (entry.kind) {
        case "product":
          return this.changed({ kind: "dataProduct", value: this.withAccess(entry.value) });
        case "access": {
          const product = this.store.getProduct(entry.value.product);
          if (product) this.changed({ kind: "dataProduct", value: this.withAccess(product) });
          return;
        }
        case "type":
          return this.changed({ kind: "eventType", value: this.withLatest(entry.value) });
        case "schema":
          return this.changed({ kind: "schemaVersion", value: entry.value });
      }
    });
  }

  // --- data products

  async createDataProduct(input: { name: string; owner: string; description: string; source: string; access?: Partial<DataProductAccess> }): Promise<DataProduct> {
    if (!productName.test(input.name)) {
      throw new CatalogError("invalid_argument", `data product name ${JSON.stringify(input.name)} must match ${productName.source}`, [
        { field: "data_product.name", description: `must match ${productName.source}` },
      ]);
    }
    const { access, ...rest } = input;
    const product: DataProduct = {
      ...rest,
      source: input.source || `/${input.name}`,
      createTime: new Date().toISOString(),
      ...(access ? { access: await this.checkedAccess(access, "data_product.access") } : {}),
    };
    // The write decides: of several callers creating one name, exactly one stores it.
    if (this.store.getProduct(input.name) || !(await this.store.createProduct(product))) {
      throw new CatalogError("already_exists", `data product ${input.name} already exists`);
    }
    this.changed({ kind: "dataProduct", value: product });
    return product;
  }

  /** The product, or undefined when there is none of that name. */
  findDataProduct(name: string): DataProduct | undefined {
    const product = this.store.getProduct(name);
    return product && this.withAccess(product);
  }

  getDataProduct(name: string): DataProduct {
    checkLength("data product name", name, maxProductName);
    const product = this.findDataProduct(name);
    if (!product) throw new CatalogError("not_found", `data product ${name} not found`);
    return product;
  }

  listDataProducts(pageSize: number, pageToken: string): Page<DataProduct> {
    const page = paginate(this.store.listProducts(), (p) => p.name, pageSize, pageToken);
    return { ...page, items: page.items.map((p) => this.withAccess(p)) };
  }

  /** The product with its access as last changed: entries are written once, changes of access are revisions beside it. */
  private withAccess(product: DataProduct): DataProduct {
    const latest = this.store.latestAccessRevision(product.name);
    return latest ? { ...product, access: latest.access } : product;
  }

  /**
   * Replaces who may change, publish to and read the product; checked by CUE
   * as a declaration's `access` is. The change is the product's next access
   * revision: of concurrent changes the store orders every one, and the last
   * is the access (a caller that loses a number takes the next, a few times, then ABORTED).
   */
  async setDataProductAccess(name: string, access: Partial<DataProductAccess>): Promise<DataProduct> {
    const checked = await this.checkedAccess(access, "access");
    for (let attempt = 0; attempt < maxRegisterAttempts; attempt++) {
      const current = this.getDataProduct(name);
      const revision = (this.store.latestAccessRevision(name)?.revision ?? 0) + 1;
      if (await this.store.createAccessRevision({ product: name, revision, access: checked })) {
        const product: DataProduct = { ...current, access: checked };
        this.changed({ kind: "dataProduct", value: product });
        return product;
      }
    }
    throw new CatalogError("aborted", `the access of ${name} was changed by others while this change was made (${maxRegisterAttempts} times); try again`);
  }

  /** The compiled shape of product.cue declarations (#Declaration, #Access), compiled once and kept. */
  declarationShape(): Promise<Schema> {
    // A failed compile (an engine that timed out) is not kept: the next call tries again.
    this.shape ??= this.engine.compile(declarationSchema, "declaration.cue").catch((err: unknown) => {
      this.shape = undefined;
      throw err;
    });
    return this.shape;
  }

  private async checkedAccess(access: Partial<DataProductAccess>, field: string): Promise<DataProductAccess> {
    const normal: DataProductAccess = { owners: access.owners ?? [], producers: access.producers ?? [], consumers: access.consumers ?? [] };
    const problems = await this.engine.validate({ schema: await this.declarationShape(), definition: "#Access" }, JSON.stringify(normal));
    if (problems.length > 0) {
      throw new CatalogError(
        "invalid_argument",
        `${field}: ${problems.map((p) => p.message.replace(/^#Access\.?/, "")).join("; ")}`,
        problems.map((p) => ({ field: [field, ...p.path].join("."), description: p.message })),
      );
    }
    return normal;
  }

  // --- event types

  async registerEventType(input: { type: string; dataProduct: string; description: string; compatibility: CompatibilityPolicy; definition: string; deadLetter?: boolean }): Promise<EventType> {
    if (!typeName.test(input.type)) {
      throw new CatalogError("invalid_argument", `event type ${JSON.stringify(input.type)} breaks the naming rules: ${typeName.source}`, [
        { field: "event_type.type", description: `must match ${typeName.source}` },
      ]);
    }
    if (!definitionName.test(input.definition)) {
      throw new CatalogError("invalid_argument", `definition ${JSON.stringify(input.definition)} is not a CUE definition name such as #Identity`, [
        { field: "event_type.definition", description: "must be a CUE definition name such as #Identity" },
      ]);
    }
    this.getDataProduct(input.dataProduct);
    // latestVersion is derived from the versions (see withLatest): the type entry is written once.
    const eventType: EventType = { ...input, latestVersion: 0, createTime: new Date().toISOString() };
    if (this.store.getEventType(input.type) || !(await this.store.createEventType(eventType))) {
      throw new CatalogError("already_exists", `event type ${input.type} already exists`);
    }
    this.changed({ kind: "eventType", value: eventType });
    return eventType;
  }

  /** The event type, or undefined when there is none of that name. */
  findEventType(type: string): EventType | undefined {
    return this.store.getEventType(type);
  }

  getEventType(type: string): EventType {
    checkLength("event type", type, maxTypeName);
    const eventType = this.store.getEventType(type);
    if (!eventType) throw new CatalogError("not_found", `event type ${type} not found`);
    return this.withLatest(eventType);
  }

  /** The type with the number of its latest version, which the versions themselves decide. */
  private withLatest(eventType: EventType): EventType {
    return { ...eventType, latestVersion: this.store.listSchemaVersions(eventType.type).at(-1)?.version ?? 0 };
  }

  listEventTypes(dataProduct: string, pageSize: number, pageToken: string): Page<EventType> {
    if (dataProduct) this.getDataProduct(dataProduct);
    const types = this.store.listEventTypes().filter((t) => !dataProduct || t.dataProduct === dataProduct);
    const page = paginate(types, (t) => t.type, pageSize, pageToken);
    return { ...page, items: page.items.map((t) => this.withLatest(t)) };
  }

  /** Every word must appear in the type name or its description, case-insensitively. */
  searchEventTypes(query: string, pageSize: number, pageToken: string): Page<EventType> {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const found = this.store.listEventTypes().filter((t) => {
      const text = `${t.type} ${t.description}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const page = paginate(found, (t) => t.type, pageSize, pageToken);
    return { ...page, items: page.items.map((t) => this.withLatest(t)) };
  }

  // --- schema versions

  /**
   * Registers a new version when the type's policy accepts it; the same
   * source and definition again return the existing version.
   *
   * The new version's number is the latest one's plus one, and the store
   * takes it only while that is still so: a caller that loses a race reads
   * the winner, answers it if it is the same schema, and otherwise checks
   * compatibility again against the version it now follows (a few times,
   * then ABORTED, which is worth retrying).
   */
  async registerSchemaVersion(input: { type: string; cueSource: string; definition?: string }, dryRun = false): Promise<{ version: SchemaVersion; created: boolean }> {
    const eventType = this.getEventType(input.type);
    const definition = input.definition || eventType.definition;
    const fingerprint = createHash("sha256").update(`${definition}\n${input.cueSource}`).digest("hex");
    let earlier = this.store.listSchemaVersions(input.type);
    const same = earlier.find((v) => v.fingerprint === fingerprint);
    if (same) return { version: same, created: false };

    const schema = await this.compile(input.type, input.cueSource, definition);
    let kept = false;
    try {
      for (let attempt = 0; attempt < maxRegisterAttempts; attempt++) {
        const candidate = { schema, definition };
        const previous = await Promise.all(earlier.map(async (v) => ({ schema: await this.schemaOf(v), definition: v.definition, version: v.version })));
        const broken = await incompatibilities(this.engine, eventType.compatibility, candidate, previous);
        if (broken.length > 0) throw new IncompatibleSchemaError(eventType.compatibility, broken);

        const number = (earlier.at(-1)?.version ?? 0) + 1;
        const version: SchemaVersion = {
          type: input.type,
          version: number,
          cueSource: input.cueSource,
          definition,
          fingerprint,
          uri: `meshstream:schema/${encodeURIComponent(input.type)}/${number}`,
          createTime: new Date().toISOString(),
        };
        if (dryRun) return { version, created: false };
        if (attempt === 0) await this.probe(eventType.dataProduct, candidate);
        if (await this.store.createSchemaVersion(version)) {
          kept = true;
          this.compiled.set(`${version.type}@${version.version}`, Promise.resolve(schema));
          this.changed({ kind: "schemaVersion", value: version });
          return { version, created: true };
        }
        earlier = this.store.listSchemaVersions(input.type);
        const winner = earlier.find((v) => v.fingerprint === fingerprint);
        if (winner) return { version: winner, created: false };
      }
      throw new CatalogError("aborted", `other schema versions of ${input.type} were registered while this one was checked (${maxRegisterAttempts} times); try again`);
    } finally {
      // A candidate that did not become a version is never used again: free it in the engine.
      if (!kept) this.engine.release(schema);
    }
  }

  /** Version 0 means the latest. */
  getSchemaVersion(type: string, version: number): SchemaVersion {
    const versions = this.store.listSchemaVersions(this.getEventType(type).type);
    const found = version === 0 ? versions.at(-1) : versions.find((v) => v.version === version);
    if (!found) throw new CatalogError("not_found", version === 0 ? `event type ${type} has no schema version yet` : `event type ${type} has no schema version ${version}`);
    return found;
  }

  listSchemaVersions(type: string, pageSize: number, pageToken: string): Page<SchemaVersion> {
    const versions = this.store.listSchemaVersions(this.getEventType(type).type);
    // Keys padded so that their text order is their number order.
    return paginate(versions, (v) => String(v.version).padStart(10, "0"), pageSize, pageToken);
  }

  /** The compiled schema of a version, compiled once. */
  schemaOf(version: SchemaVersion): Promise<Schema> {
    const key = `${version.type}@${version.version}`;
    let schema = this.compiled.get(key);
    if (!schema) {
      schema = this.engine.compile(version.cueSource, `${version.type}@${version.version}.cue`);
      this.compiled.set(key, schema);
    }
    return schema;
  }

  /**
   * Evaluates the candidate on generated documents (see probe-documents.ts)
   * under the engine's limits, as events of the product would be: a schema
   * that runs past them is refused now rather than on its first events.
   */
  private async probe(product: string, candidate: Definition): Promise<void> {
    let documents: unknown[];
    try {
      documents = probeDocuments(await this.engine.jsonSchema(candidate));
    } catch (err) {
      // A definition JSON Schema cannot express: the empty document is still worth a try.
      if (!(err instanceof CueInternalError)) throw err;
      documents = [{}];
    }
    for (const [i, document] of documents.entries()) {
      try {
        await this.engine.validate(candidate, JSON.stringify(document), { group: product });
      } catch (err) {
        // What the document itself gets wrong does not matter here, only what it costs: past a
        // limit, or an engine that fails on it.
        if (err instanceof CueLimitError || err instanceof CueInternalError) {
          const text = JSON.stringify(document);
          throw new CatalogError("invalid_argument", `${err.message} on a generated ${documents.length > 1 ? probeKinds[i] : "empty"} document: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`, [
            { field: "cue_source", description: err.message },
          ]);
        }
        if (!(err instanceof CueDocumentError)) throw err;
      }
    }
  }

  private async compile(type: string, source: string, definition: string): Promise<Schema> {
    const bytes = Buffer.byteLength(source);
    if (bytes > this.options.maxSourceBytes) {
      throw new CatalogError("invalid_argument", `CUE source of ${bytes} bytes is larger than the limit of ${this.options.maxSourceBytes} bytes`);
    }
    let schema: Schema;
    try {
      schema = await this.engine.compile(source, `${type}.cue`);
    } catch (err) {
      if (err instanceof CueTimeoutError) throw new CatalogError("invalid_argument", `the schema did not compile within the time limit: ${err.message}`);
      if (err instanceof CueSyntaxError) {
        throw new CatalogError(
          "invalid_argument",
          err.message,
          err.violations.map((v) => ({ field: "cue_source", description: v.line ? `${v.line}:${v.column}: ${v.message}` : v.message })),
        );
      }
      throw err;
    }
    if (!schema.definitions.includes(definition)) {
      this.engine.release(schema);
      throw new CatalogError("invalid_argument", `definition ${definition} is not in the source (it defines: ${schema.definitions.join(", ") || "none"})`, [
        { field: "definition", description: `${definition} is not defined` },
      ]);
    }
    return schema;
  }
}
