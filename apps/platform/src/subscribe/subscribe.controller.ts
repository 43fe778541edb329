import { timestampDate, type Duration } from "@bufbuild/protobuf/wkt";
import { AccessControl } from "@meshstream/access";
import { Catalog } from "@meshstream/catalog";
import type { ChannelFilter, Delivery, EventChannel, StartPosition } from "@meshstream/channel";
import { toProto } from "@meshstream/cloudevents";
import { FilterCompiler, type DialectFilter, type FilterMatcher, type FilterSpec } from "@meshstream/filters";
import { CallError, GrpcService, type CallContext, type ServiceImpl } from "@meshstream/grpc";
import { SubscribeService, type EventFilter, type StartPosition as StartProto, type SubscriptionFilter } from "@meshstream/proto";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";
import type { PlatformMetrics } from "../observability/metrics";
import { PLATFORM_METRICS } from "../observability/tokens";
import { DeliveryResponses } from "./delivery-responses";

/** Fetch pages and long polls are capped so that one call cannot hold a reader or a buffer for long. */
const fetchLimits = { defaultEvents: 100, maxEvents: 1000, maxWaitMs: 60_000 } as const;

/** Thin translator between SubscribeService messages and the channel, filters compiled against the catalog. */
@Injectable()
@GrpcService(SubscribeService)
export class SubscribeController implements ServiceImpl<typeof SubscribeService> {
  private readonly logger = new Logger("subscribe");
  private readonly responses = new DeliveryResponses();

  constructor(
    private readonly filters: FilterCompiler,
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
    private readonly access: AccessControl,
    @Inject(PLATFORM_METRICS) private readonly metrics: PlatformMetrics | null,
    private readonly catalog: Catalog,
  ) {}

  /**
   * Response headers go out once the start is fixed, so a client knows from
   * them that it will see every event stored afterwards. Events are pulled
   * only as fast as the client reads: the gRPC layer waits for 'drain'.
   */
  async *subscribe(req: { filter?: EventFilter; start?: StartProto }, ctx: CallContext) {
    const { filter, matcher } = await this.filterOf(req.filter, ctx);
    const subscription = this.channel.subscribe({ ...filter, ...this.growing(req.filter, ctx) }, startOf(req.start), { signal: ctx.signal, onReady: ctx.sendHeader });
    try {
      for await (const delivery of subscription) {
        // A role revoked while the stream runs ends it at the next event (decisions are cached, so this costs a lookup).
        this.access.requireForType(ctx, "consumer", delivery.event.type);
        this.metrics?.delivered(delivery.event.type, delivery.event.time, "stream");
        yield this.responses.responseOf(delivery);
      }
    } finally {
      this.reportErrors("Subscribe", matcher);
    }
  }

  async fetch(req: { filter?: EventFilter; cursor: string; maxEvents: number; wait?: Duration }, ctx: CallContext) {
    const max = Math.min(req.maxEvents || fetchLimits.defaultEvents, fetchLimits.maxEvents);
    const waitMs = Math.min(req.wait ? durationMs(req.wait, "wait") : 0, fetchLimits.maxWaitMs);
    const { filter, matcher } = await this.filterOf(req.filter, ctx);
    const page = await this.channel.fetch(filter, req.cursor || undefined, max, waitMs, ctx.signal);
    this.reportErrors("Fetch", matcher);
    for (const d of page.deliveries) this.metrics?.delivered(d.event.type, d.event.time, "fetch");
    return { deliveries: page.deliveries.map(deliveryOf), nextCursor: page.cursor };
  }

  /**
   * Compiled once per distinct filter (shared); the predicate counts for this call alone.
   * The products to read: those of the types and prefixes the filter names, each of which the
   * caller must be allowed to read; with no type or prefix named, those of the products the filter
   * can match that the caller may read. Positions and cursors only ever move the reader within
   * these products, so one taken from another product reads nothing of it.
   */
  private async filterOf(proto: EventFilter | undefined, ctx: CallContext): Promise<{ filter: ChannelFilter; matcher?: FilterMatcher }> {
    const compiled = await this.filters.compile(specOf(proto), { at: "filter" });
    const named = (proto?.types.length ?? 0) > 0 || (proto?.typePrefixes.length ?? 0) > 0;
    for (const product of named ? compiled.products : []) this.access.require(ctx, "consumer", product);
    const products = named ? compiled.products : this.access.readable(ctx, compiled.products);
    const matcher = compiled.hasPredicate ? compiled.matcher() : undefined;
    const { types, typePrefixes, sources } = compiled;
    return { filter: { products, types, typePrefixes, sources, ...(matcher ? { predicate: (e) => matcher.matches(e) } : {}) }, matcher };
  }

  /**
   * A filter with a type prefix, or with no type named, reads the products
   * of types registered while it runs too (here or on another instance:
   * the catalog tells of both), those the caller may read.
   */
  private growing(proto: EventFilter | undefined, ctx: CallContext): Pick<ChannelFilter, "watchProducts"> {
    if (proto?.types.length && !proto.typePrefixes.length) return {};
    return {
      watchProducts: (listener) =>
        this.catalog.watch((change) => {
          if (change.kind !== "eventType") return;
          // After the compiler has forgotten its filters (it watches the catalog too, registered before).
          this.filters.compile(specOf(proto), { at: "filter" }).then(
            (compiled) => listener(this.access.readable(ctx, compiled.products)),
            () => undefined,
          );
        }),
    };
  }

  /** An expression that fails on some events makes them not match; the subscriber's owner hears of it here. */
  private reportErrors(method: string, matcher: FilterMatcher | undefined): void {
    if (matcher && matcher.stats.errors > 0) this.logger.log({ msg: "filter expression errors", method, ...matcher.stats });
  }
}

export function specOf(filter: EventFilter | undefined): FilterSpec {
  if (!filter) return {};
  return { types: filter.types, typePrefixes: filter.typePrefixes, sources: filter.sources, sql: filter.sql, filters: filter.filters.map(dialectOf) };
}

/** The message in the Subscriptions API's JSON form, with only the fields that are set (proto3 has no "unset" for maps and lists). */
function dialectOf(f: SubscriptionFilter): DialectFilter {
  const set: Record<string, unknown> = {};
  for (const name of ["exact", "prefix", "suffix"] as const) if (Object.keys(f[name]).length > 0) set[name] = f[name];
  for (const name of ["all", "any"] as const) if (f[name].length > 0) set[name] = f[name].map(dialectOf);
  if (f.not) set.not = dialectOf(f.not);
  if (f.sql) set.sql = f.sql;
  return set as DialectFilter;
}

export function startOf(start: StartProto | undefined): StartPosition {
  switch (start?.start.case) {
    case undefined:
    case "latest":
      return { kind: "latest" };
    case "earliest":
      return { kind: "earliest" };
    case "after":
      if (!start.start.value) throw new CallError("invalid_argument", "start.after is empty", [{ field: "start.after", description: "a position from a delivery" }]);
      return { kind: "after", position: start.start.value };
    case "time":
      return { kind: "time", time: timestampDate(start.start.value) };
  }
}

/** A request's duration in milliseconds; a negative one is refused, naming its field. */
export function durationMs(d: Duration, field: string): number {
  const ms = Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
  if (ms < 0) throw new CallError("invalid_argument", `${field} must not be negative`, [{ field, description: "a duration of zero or more" }]);
  return ms;
}

function deliveryOf(d: Delivery) {
  return { event: toProto(d.event), position: d.position };
}
