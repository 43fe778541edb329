import { createRegistry, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey, createContextValues, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import type { Caller } from "@meshstream/access";
import { isDomainError, type CallContext, type RequestHeaders } from "@meshstream/grpc";
import { BadRequestSchema, CatalogService, file_google_rpc_error_details, IngestService, SubscribeService, SubscriptionService } from "@meshstream/proto";
import type { FastifyInstance } from "fastify";
import { callerOf, incomingCall } from "./call-context";
import type { Services } from "./services";

type AnyImpl = (input: unknown, ctx: CallContext) => unknown;
export type InternalErrorSink = (method: string, err: unknown) => void;

const peerKey = createContextKey<string>("", { description: "the client's host:port" });
const callerKey = createContextKey<Caller | undefined>(undefined, { description: "who calls, as the request hook found" });

/** A domain error as the Connect error of the same code (Connect's codes are gRPC's), violations as google.rpc.BadRequest. */
function connectErrorOf(err: unknown, method: string, onInternal: InternalErrorSink): ConnectError {
  if (err instanceof ConnectError) return err;
  if (!isDomainError(err)) {
    onInternal(method, err);
    return new ConnectError("internal error", Code.Internal);
  }
  const code = Code[err.code.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase()) as keyof typeof Code] ?? Code.Internal;
  const details = err.violations?.length ? [{ desc: BadRequestSchema, value: { fieldViolations: err.violations.map((v) => ({ ...v })) } }] : [];
  return new ConnectError(err.message, code, undefined, details);
}

function headersOf(h: Headers): RequestHeaders {
  return { get: (name) => h.get(name) ?? undefined };
}

/**
 * One service object, a second transport: each method of the object gRPC
 * serves, called with a CallContext made from Connect's HandlerContext, its
 * domain errors turned into Connect errors.
 */
function adapt(service: DescService, impl: object, onInternal: InternalErrorSink): Record<string, unknown> {
  const adapted: Record<string, unknown> = {};
  for (const desc of service.methods) {
    const fn = (impl as Record<string, AnyImpl | undefined>)[desc.localName]?.bind(impl);
    if (!fn) continue;
    const method = `${service.typeName}/${desc.name}`;
    const ctxOf = (h: HandlerContext): CallContext => {
      const caller = h.values.get(callerKey);
      if (!caller) throw new Error(`no caller for ${method}: the request was not authenticated`);
      return { method, caller, signal: h.signal, headers: headersOf(h.requestHeader), peer: h.values.get(peerKey), sendHeader: () => {} };
    };
    const fail = (err: unknown) => connectErrorOf(err, method, onInternal);
    adapted[desc.localName] = streams(desc)
      ? async function* (input: unknown, h: HandlerContext) {
          try {
            yield* fn(input, ctxOf(h)) as AsyncIterable<unknown>;
          } catch (err) {
            throw fail(err);
          }
        }
      : async (input: unknown, h: HandlerContext) => {
          try {
            return await fn(input, ctxOf(h));
          } catch (err) {
            throw fail(err);
          }
        };
  }
  return adapted;
}

const streams = (m: DescMethod) => m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming";

export interface ConnectOptions {
  readonly readMaxBytes: number;
  /** Aborted at shutdown: ends the streams in flight. */
  readonly shutdownSignal: AbortSignal;
  readonly onInternalError: InternalErrorSink;
}

/**
 * The Connect protocol and gRPC-Web for every RPC of the four services
 * (`POST /meshstream.v1.IngestService/Publish` …). Plain gRPC stays on its
 * own listener, with health and reflection.
 */
export async function connectRoutes(app: FastifyInstance, services: Services, options: ConnectOptions): Promise<void> {
  await app.register(fastifyConnectPlugin, {
    grpc: false,
    readMaxBytes: options.readMaxBytes,
    shutdownSignal: options.shutdownSignal,
    // PublishBatch results carry google.rpc.Status details (Any) that the JSON form must resolve.
    jsonOptions: { registry: createRegistry(file_google_rpc_error_details) },
    contextValues: (request) => createContextValues().set(peerKey, incomingCall(request).peer).set(callerKey, callerOf(request)),
    routes: (router: ConnectRouter) => {
      router.service(IngestService, adapt(IngestService, services.ingest, options.onInternalError));
      router.service(CatalogService, adapt(CatalogService, services.catalog, options.onInternalError));
      router.service(SubscribeService, adapt(SubscribeService, services.subscribe, options.onInternalError));
      router.service(SubscriptionService, adapt(SubscriptionService, services.subscriptions, options.onInternalError));
    },
  });
}
