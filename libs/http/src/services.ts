import type { DescService } from "@bufbuild/protobuf";
import { CallError, type ServiceImpl } from "@meshstream/grpc";
import type { CatalogService, IngestService, SubscribeService, SubscriptionService } from "@meshstream/proto";

/** The service objects the gRPC server serves; the HTTP face calls the very same ones. */
export interface Services {
  readonly ingest: ServiceImpl<typeof IngestService>;
  readonly catalog: ServiceImpl<typeof CatalogService>;
  readonly subscribe: ServiceImpl<typeof SubscribeService>;
  /** Durable subscriptions (Connect and gRPC-Web only: their Consume is a bidi stream, which needs HTTP/2). */
  readonly subscriptions: ServiceImpl<typeof SubscriptionService>;
}

/** One method of a service object, bound, or UNIMPLEMENTED when the object lacks it (as on gRPC). */
export function methodOf<S extends object, K extends keyof S>(impl: S, name: K, service: DescService): NonNullable<S[K]> {
  const fn = impl[name];
  if (typeof fn !== "function") {
    const method = service.methods.find((m) => m.localName === name)?.name ?? String(name);
    throw new CallError("unimplemented", `${service.typeName}/${method} is not implemented yet`);
  }
  return fn.bind(impl) as NonNullable<S[K]>;
}
