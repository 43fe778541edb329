import { timestampDate, type Duration } from "@bufbuild/protobuf/wkt";
import { Catalog } from "@meshstream/catalog";
import type { ChannelFilter, Delivery, EventChannel, StartPosition } from "@meshstream/channel";
import { toProto } from "@meshstream/cloudevents";
import { CallError, GrpcService, type CallContext, type ServiceImpl } from "@meshstream/grpc";
import { SubscribeService, type EventFilter, type StartPosition as StartProto } from "@meshstream/proto";
import { Inject, Injectable } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";
import type { PlatformMetrics } from "../observability/metrics";
import { PLATFORM_METRICS } from "../observability/tokens";

/** Fetch pages and long polls are capped so that one call cannot hold a reader or a buffer for long. */
const fetchLimits = { defaultEvents: 100, maxEvents: 1000, maxWaitMs: 60_000 } as const;

/** Thin translator between SubscribeService messages and the channel, the catalog resolving types to data products. */
@Injectable()
@GrpcService(SubscribeService)
export class SubscribeController implements ServiceImpl<typeof SubscribeService> {
  constructor(
    private readonly catalog: Catalog,
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
    @Inject(PLATFORM_METRICS) private readonly metrics: PlatformMetrics | null,
  ) {}

  /**
   * Response headers go out once the start is fixed, so a client knows from
   * them that it will see every event stored afterwards. Events are pulled
   * only as fast as the client reads: the gRPC layer waits for 'drain'.
   */
  async *subscribe(req: { filter?: EventFilter; start?: StartProto }, ctx: CallContext) {
    const subscription = this.channel.subscribe(this.filterOf(req.filter), startOf(req.start), { signal: ctx.signal, onReady: ctx.sendHeader });
    for await (const delivery of subscription) {
      this.metrics?.delivered(delivery.event.type, delivery.event.time, "stream");
      yield { delivery: deliveryOf(delivery) };
    }
  }

  async fetch(req: { filter?: EventFilter; cursor: string; maxEvents: number; wait?: Duration }, ctx: CallContext) {
    const max = Math.min(req.maxEvents || fetchLimits.defaultEvents, fetchLimits.maxEvents);
    const waitMs = Math.min(req.wait ? millisOf(req.wait) : 0, fetchLimits.maxWaitMs);
    const page = await this.channel.fetch(this.filterOf(req.filter), req.cursor || undefined, max, waitMs, ctx.signal);
    for (const d of page.deliveries) this.metrics?.delivered(d.event.type, d.event.time, "fetch");
    return { deliveries: page.deliveries.map(deliveryOf), nextCursor: page.cursor };
  }

  private filterOf(filter: EventFilter | undefined): ChannelFilter {
    const types = filter?.types ?? [];
    const typePrefixes = filter?.typePrefixes ?? [];
    const sources = filter?.sources ?? [];
    if ([...types, ...typePrefixes, ...sources].includes("")) throw new CallError("invalid_argument", "filter entries must not be empty", [{ field: "filter", description: "an empty type, prefix or source" }]);
    return { products: this.catalog.productsFor({ types, typePrefixes }), types, typePrefixes, sources };
  }
}

function startOf(start: StartProto | undefined): StartPosition {
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

function millisOf(d: Duration): number {
  const ms = Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
  if (ms < 0) throw new CallError("invalid_argument", "wait must not be negative", [{ field: "wait", description: "a duration of zero or more" }]);
  return ms;
}

function deliveryOf(d: Delivery) {
  return { event: toProto(d.event), position: d.position };
}
