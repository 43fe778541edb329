import { create, toJson, type DescMessage, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { CallError } from "@meshstream/grpc";
import { CatalogService } from "@meshstream/proto";
import type { FastifyInstance } from "fastify";
import type { OpenCalls } from "./call-context";
import type { Query } from "./event-query";
import { methodOf, type Services } from "./services";

type Params = Readonly<Record<string, string>>;
type CatalogMethod = keyof typeof CatalogService.method;

function pageOf(query: Query) {
  const size = query.pageSize === undefined ? 0 : Number(query.pageSize);
  if (!Number.isInteger(size) || size < 0) throw new CallError("invalid_argument", `pageSize must be a positive integer, not ${String(query.pageSize)}`, [{ field: "pageSize", description: "a positive integer" }]);
  return { pageSize: size, pageToken: String(query.pageToken ?? "") };
}

function versionOf(v: string | string[] | undefined): number {
  if (v === undefined || v === "latest") return 0;
  if (typeof v !== "string" || !/^\d+$/.test(v)) throw new CallError("invalid_argument", `version must be a number or latest, not ${String(v)}`, [{ field: "version", description: "a number, or latest" }]);
  return Number(v);
}

/**
 * Read-only catalog routes, each one CatalogService method on the object
 * gRPC calls: `request` builds its request from the path and query, `body`
 * picks what to answer (the whole response in its JSON form by default).
 */
const routes: {
  path: string;
  method: CatalogMethod;
  request: (p: Params, q: Query) => object;
  body?: (out: Record<string, unknown>) => unknown;
  contentType?: string;
}[] = [
  // The seed's GET /openapi: every product's event types, one OpenAPI 3.0 document.
  { path: "/openapi", method: "getOpenApi", request: () => ({}), body: (o) => o.document },
  { path: "/openapi/:product", method: "getOpenApi", request: (p) => ({ subject: { case: "dataProduct", value: p.product } }), body: (o) => o.document },
  { path: "/catalog/products", method: "listDataProducts", request: (_p, q) => pageOf(q) },
  { path: "/catalog/products/:name", method: "getDataProduct", request: (p) => ({ name: p.name }) },
  {
    path: "/catalog/types",
    method: "listEventTypes",
    request: (_p, q) => ({ dataProduct: String(q.product ?? ""), ...pageOf(q) }),
  },
  { path: "/catalog/search", method: "searchEventTypes", request: (_p, q) => ({ query: String(q.q ?? ""), ...pageOf(q) }) },
  { path: "/catalog/types/:type", method: "getEventType", request: (p) => ({ type: p.type }) },
  { path: "/catalog/types/:type/versions", method: "listSchemaVersions", request: (p, q) => ({ type: p.type, ...pageOf(q) }) },
  { path: "/catalog/types/:type/versions/:version", method: "getSchemaVersion", request: (p) => ({ type: p.type, version: versionOf(p.version) }) },
  {
    path: "/catalog/types/:type/schema",
    method: "getJsonSchema",
    request: (p, q) => ({ type: p.type, version: versionOf(q.version) }),
    body: (o) => o.schema,
    contentType: "application/schema+json",
  },
];

export function catalogRoutes(app: FastifyInstance, services: Services, calls: OpenCalls): void {
  for (const route of routes) {
    const desc = CatalogService.method[route.method];
    app.get<{ Params: Params; Querystring: Query }>(route.path, async (request, reply) => {
      const call = methodOf(services.catalog, route.method, CatalogService) as (req: unknown, ctx: unknown) => Promise<unknown>;
      const req = create(desc.input as DescMessage, route.request(request.params, request.query) as MessageInitShape<DescMessage>);
      const { ctx, release } = calls.open(request, reply, `${CatalogService.typeName}/${desc.name}`);
      let answer;
      try {
        answer = await call(req, ctx);
      } finally {
        release();
      }
      const out = toJson(desc.output as DescMessage, create(desc.output as DescMessage, answer as MessageInitShape<DescMessage>)) as Record<string, JsonValue>;
      if (route.contentType) reply.type(route.contentType);
      return reply.send(route.body ? route.body(out) : out);
    });
  }
}
