import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AccessControl } from "@meshstream/access";
import { Catalog, type CatalogChange, type CompatibilityPolicy, type DataProduct, type DataProductAccess, type EventType, type SchemaVersion } from "@meshstream/catalog";
import type { CueEngine } from "@meshstream/cuelang-wasm";
import { boundedText, CallError, GrpcService, type CallContext, type ServiceImpl } from "@meshstream/grpc";
import { CatalogService, CompatibilityPolicy as PolicyProto, type DataProductAccess as AccessProto, type EventInput } from "@meshstream/proto";
import { Inject, Injectable } from "@nestjs/common";
import { dataOf } from "../event-input";
import { CUE_ENGINE } from "./tokens";

const policyOf = (p: PolicyProto): CompatibilityPolicy =>
  p === PolicyProto.UNSPECIFIED ? "BACKWARD" : (PolicyProto[p] as CompatibilityPolicy | undefined) ?? "BACKWARD";

const time = (iso: string) => timestampFromDate(new Date(iso));
const access = (a: DataProductAccess | AccessProto) => ({ owners: [...a.owners], producers: [...a.producers], consumers: [...a.consumers] });
const product = (p: DataProduct) => ({ ...p, createTime: time(p.createTime), access: p.access && access(p.access) });
// Field by field: event types stored before registerEventType translated its message field by field
// carry the decoded message's own properties ($typeName, $unknown), which would fail the answer's encoding.
const eventType = (t: EventType) => ({
  type: t.type,
  dataProduct: t.dataProduct,
  description: t.description,
  compatibility: PolicyProto[t.compatibility],
  definition: t.definition,
  latestVersion: t.latestVersion,
  createTime: time(t.createTime),
  deadLetter: t.deadLetter ?? false,
});
const schemaVersion = (v: SchemaVersion) => ({ ...v, createTime: time(v.createTime) });
// protobuf-es gives google.protobuf.Struct fields as plain JSON objects.
const struct = (doc: unknown) => doc as JsonObject;

/** Thin translator between CatalogService messages and the Catalog. */
@Injectable()
@GrpcService(CatalogService)
export class CatalogController implements ServiceImpl<typeof CatalogService> {
  constructor(
    private readonly catalog: Catalog,
    @Inject(CUE_ENGINE) private readonly engine: CueEngine,
    private readonly access: AccessControl,
  ) {}

  // Reads are open to any authenticated caller (discovery is the catalog's job); changes are for a product's owners and administrators.

  async createDataProduct(req: { dataProduct?: { name: string; owner: string; description: string; source: string; access?: AccessProto } }, ctx: CallContext) {
    const p = req.dataProduct;
    if (!p) throw new CallError("invalid_argument", "data_product is required", [{ field: "data_product", description: "required" }]);
    const created = await this.access.change(ctx, p.name, () => this.catalog.createDataProduct({ name: p.name, owner: p.owner, description: p.description, source: p.source, access: p.access && access(p.access) }));
    return { dataProduct: product(created) };
  }

  async setDataProductAccess(req: { dataProduct: string; access?: AccessProto }, ctx: CallContext) {
    const a = req.access;
    if (!a) throw new CallError("invalid_argument", "access is required (empty lists leave the product to administrators)", [{ field: "access", description: "required" }]);
    return { dataProduct: product(await this.access.change(ctx, req.dataProduct, () => this.catalog.setDataProductAccess(req.dataProduct, access(a)))) };
  }

  async getDataProduct(req: { name: string }) {
    return { dataProduct: product(this.catalog.getDataProduct(req.name)) };
  }

  async listDataProducts(req: { pageSize: number; pageToken: string }) {
    const page = this.catalog.listDataProducts(req.pageSize, req.pageToken);
    return { dataProducts: page.items.map(product), nextPageToken: page.nextPageToken };
  }

  async registerEventType(req: { eventType?: { type: string; dataProduct: string; description: string; compatibility: PolicyProto; definition: string; deadLetter: boolean } }, ctx: CallContext) {
    const t = req.eventType;
    if (!t) throw new CallError("invalid_argument", "event_type is required", [{ field: "event_type", description: "required" }]);
    return { eventType: eventType(await this.access.change(ctx, t.dataProduct, () => this.catalog.registerEventType({ type: t.type, dataProduct: t.dataProduct, description: t.description, compatibility: policyOf(t.compatibility), definition: t.definition, deadLetter: t.deadLetter }))) };
  }

  async getEventType(req: { type: string }) {
    return { eventType: eventType(this.catalog.getEventType(req.type)) };
  }

  async listEventTypes(req: { dataProduct: string; pageSize: number; pageToken: string }) {
    const page = this.catalog.listEventTypes(req.dataProduct, req.pageSize, req.pageToken);
    return { eventTypes: page.items.map(eventType), nextPageToken: page.nextPageToken };
  }

  async searchEventTypes(req: { query: string; pageSize: number; pageToken: string }) {
    const page = this.catalog.searchEventTypes(req.query, req.pageSize, req.pageToken);
    return { eventTypes: page.items.map(eventType), nextPageToken: page.nextPageToken };
  }

  async registerSchemaVersion(req: { type: string; cueSource: string; definition: string }, ctx: CallContext) {
    const { version, created } = await this.access.change(ctx, this.catalog.getEventType(req.type).dataProduct, () => this.catalog.registerSchemaVersion(req));
    return { schemaVersion: schemaVersion(version), created };
  }

  async getSchemaVersion(req: { type: string; version: number }) {
    return { schemaVersion: schemaVersion(this.catalog.getSchemaVersion(req.type, req.version)) };
  }

  async listSchemaVersions(req: { type: string; pageSize: number; pageToken: string }) {
    const page = this.catalog.listSchemaVersions(req.type, req.pageSize, req.pageToken);
    return { schemaVersions: page.items.map(schemaVersion), nextPageToken: page.nextPageToken };
  }

  async checkCompatibility(req: { type: string; cueSource: string; definition: string }) {
    try {
      await this.catalog.registerSchemaVersion(req, true);
      return { compatible: true };
    } catch (err) {
      const violations = (err as { code?: string; violations?: { field: string; description: string }[] }).violations;
      if ((err as { code?: string }).code !== "failed_precondition" || !violations) throw err;
      return { compatible: false, violations };
    }
  }

  async validateEvent(req: { event?: EventInput }) {
    const type = req.event?.type ?? "";
    const version = this.catalog.getSchemaVersion(type, req.event?.schemaVersion ?? 0);
    const group = this.catalog.getEventType(type).dataProduct;
    const violations = await this.engine.validate({ schema: await this.catalog.schemaOf(version), definition: version.definition }, dataOf(req.event), { group });
    return {
      valid: violations.length === 0,
      // Cut as in error statuses: a megabyte-long value is no use repeated back.
      violations: violations.map((v) => ({ field: boundedText(v.path.join("."), 256), description: boundedText(v.message, 512) })),
      schemaVersion: version.version,
    };
  }

  async getOpenApi(req: { subject: { case: "type" | "dataProduct" | undefined; value?: string }; version: number }) {
    if (req.subject.case === "type") {
      const version = this.catalog.getSchemaVersion(req.subject.value!, req.version);
      return { document: struct(await this.engine.openApi(await this.catalog.schemaOf(version))) };
    }
    // One document for a product, or for every product when none is named (the seed's GET /openapi):
    // the components of the latest schema of each type.
    const types: EventType[] = [];
    let page = { items: [] as EventType[], nextPageToken: "" };
    do {
      page = this.catalog.listEventTypes(req.subject.value ?? "", 1000, page.nextPageToken);
      types.push(...page.items);
    } while (page.nextPageToken);
    const schemas: Record<string, unknown> = {};
    let document: Record<string, unknown> = { info: { title: "Generated by cue.", version: "no version" }, paths: {} };
    for (const t of types.filter((t) => t.latestVersion > 0)) {
      document = await this.engine.openApi(await this.catalog.schemaOf(this.catalog.getSchemaVersion(t.type, 0)));
      Object.assign(schemas, (document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {});
    }
    return { document: struct({ ...document, openapi: "3.0.0", components: { schemas } }) };
  }

  async getJsonSchema(req: { type: string; version: number }) {
    const version = this.catalog.getSchemaVersion(req.type, req.version);
    return { schema: struct(await this.engine.jsonSchema({ schema: await this.catalog.schemaOf(version), definition: version.definition })) };
  }

  /** Changes from now on; a watcher that falls 1,000 changes behind is ended with RESOURCE_EXHAUSTED. */
  async *watchCatalog(_req: unknown, ctx: { signal: AbortSignal }) {
    const queue: CatalogChange[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    const stop = this.catalog.watch((change) => {
      if (queue.length >= 1000) overflow = true;
      else queue.push(change);
      wake?.();
    });
    const onAbort = () => wake?.();
    ctx.signal.addEventListener("abort", onAbort);
    try {
      while (!ctx.signal.aborted) {
        if (overflow) throw new CallError("resource_exhausted", "the watcher fell more than 1000 changes behind; watch again");
        const change = queue.shift();
        if (!change) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        switch (change.kind) {
          case "dataProduct":
            yield { change: { case: "dataProduct" as const, value: product(change.value) } };
            break;
          case "eventType":
            yield { change: { case: "eventType" as const, value: eventType(change.value) } };
            break;
          case "schemaVersion":
            yield { change: { case: "schemaVersion" as const, value: schemaVersion(change.value) } };
            break;
        }
      }
    } finally {
      stop();
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }
}
