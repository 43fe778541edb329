import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Catalog } from "@meshstream/catalog";
import type { EventChannel, OutgoingEvent } from "@meshstream/channel";
import { checkDraft, completeEvent, fromProto, type EventDraft } from "@meshstream/cloudevents";
import { AccessControl } from "@meshstream/access";
import { CallError, GrpcService, isDomainError, toRpcStatus, type CallContext, type ServiceImpl } from "@meshstream/grpc";
import { IngestService, type EventInput, type PublishStreamRequest } from "@meshstream/proto";
import { EventValidator } from "@meshstream/validation";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";
import { dataOf } from "../event-input";
import { IngestInstruments } from "../observability/ingest-instruments";
import { withTraceContext } from "../observability/trace-context";
import { inOrder } from "./in-order";

const encoder = new TextEncoder();
type Result = { result: { case: "receipt"; value: { id: string; position: string; dataschema: string } } | { case: "error"; value: ReturnType<typeof toRpcStatus> } };

/** Thin translator between IngestService messages and validation, CloudEvents and the channel. */
@Injectable()
@GrpcService(IngestService)
export class IngestController implements ServiceImpl<typeof IngestService> {
  private readonly logger = new Logger("ingest");

  constructor(
    private readonly catalog: Catalog,
    private readonly validator: EventValidator,
    private readonly access: AccessControl,
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly instruments: IngestInstruments,
  ) {}

  async publish(req: { event?: EventInput }, ctx: CallContext) {
    const outgoing = await this.checked(req.event, ctx);
    const [position] = await this.store([outgoing]);
    return { receipt: receipt(outgoing, position!) };
  }

  async publishBatch(req: { events: EventInput[] }, ctx: CallContext) {
    const prepared = await Promise.allSettled(req.events.map((e) => this.checked(e, ctx)));
    const valid = prepared.flatMap((p) => (p.status === "fulfilled" ? [p.value] : []));
    let stored: string[] | { failed: unknown };
    try {
      stored = valid.length ? await this.store(valid) : [];
    } catch (err) {
      stored = { failed: err };
    }
    let next = 0;
    const results = prepared.map((p): Result => {
      if (p.status === "rejected") return this.failure(p.reason);
      const i = next++;
      return Array.isArray(stored) ? receiptResult(valid[i]!, stored[i]!) : this.failure(stored.failed);
    });
    return { results };
  }

  /**
   * Requests are prepared and stored concurrently (up to 256 at a time) and
   * answered in order; they are handed to the channel in the order sent, so
   * that a stream's events of one partition key are stored in that order.
   */
  async *publishStream(requests: AsyncIterable<PublishStreamRequest>, ctx: CallContext) {
    const window: Promise<Result>[] = [];
    const submit = inOrder();
    let sequence = 0n;
    for await (const request of requests) {
      window.push(this.one(request.event, ctx, submit));
      if (window.length >= 256) yield { sequence: sequence++, result: await window.shift()! };
    }
    while (window.length) yield { sequence: sequence++, result: await window.shift()! };
  }

  private async one(event: EventInput | undefined, ctx: CallContext, submit: ReturnType<typeof inOrder>): Promise<Result> {
    try {
      const outgoing = this.checked(event, ctx);
      const [position] = await submit(outgoing, (o) => this.store([o]));
      return receiptResult(await outgoing, position!);
    } catch (err) {
      return this.failure(err);
    }
  }

  /**
   * One event's error as its result. An unexpected one is logged here, since
   * the call itself succeeds and the gRPC layer, which logs failed calls, never sees it.
   */
  private failure(err: unknown): Result {
    if (isDomainError(err)) return { result: { case: "error", value: toRpcStatus(err) } };
    this.logger.error({ msg: "internal error", error: String(err), stack: (err as Error | undefined)?.stack });
    return { result: { case: "error", value: toRpcStatus(new CallError("internal", "internal error")) } };
  }

  /** prepare(), with a refusal counted (by type and reason). */
  private async checked(input: EventInput | undefined, ctx: CallContext): Promise<OutgoingEvent> {
    try {
      return await this.prepare(input, ctx);
    } catch (err) {
      this.instruments.refused(input?.type || input?.cloudEvent?.type, err);
      throw err;
    }
  }

  /** The channel write, timed and traced; its events counted accepted once durable. */
  private store(events: OutgoingEvent[]): Promise<string[]> {
    return this.instruments.store(events, () => this.channel.publish(events));
  }

  /** Input → validated CloudEvent for its product's log, if the caller may publish to that product, carrying the trace context it came with. */
  private async prepare(input: EventInput | undefined, ctx: CallContext): Promise<OutgoingEvent> {
    if (!input) throw new CallError("invalid_argument", "event is required", [{ field: "event", description: "required" }]);
    let draft: EventDraft;
    let data: Uint8Array;
    if (input.cloudEvent) {
      if (input.type || input.payload.case) {
        throw new CallError("invalid_argument", "set either cloud_event or type and data, not both", [{ field: "event.cloud_event", description: "exclusive with the other fields" }]);
      }
      const ce = fromProto(input.cloudEvent);
      draft = { type: ce.type, id: ce.id, source: ce.source, subject: ce.subject, time: ce.time ? new Date(ce.time) : undefined, extensions: ce.extensions };
      data = ce.data ?? new Uint8Array();
    } else {
      if (!input.type) throw new CallError("invalid_argument", "event type is required", [{ field: "event.type", description: "required" }]);
      data = input.payload.case === "dataJson" ? input.payload.value : encoder.encode(dataOf(input));
      draft = { type: input.type, id: input.id, source: input.source, subject: input.subject, time: input.time ? timestampDate(input.time) : undefined, extensions: input.extensions };
    }
    // Before any lookup: an over-long type must not reach the catalog's store.
    checkDraft(draft);
    this.access.requireForType(ctx, "producer", draft.type);
    if (data.length > this.config.maxEventBytes) {
      throw new CallError("invalid_argument", `event data of ${data.length} bytes is larger than the limit of ${this.config.maxEventBytes} bytes`, [
        { field: "event.data", description: `at most ${this.config.maxEventBytes} bytes` },
      ]);
    }
    const { version, product } = await this.instruments.validate(() => this.validator.validate(draft.type, input.schemaVersion, data));
    draft = { ...draft, extensions: withTraceContext(draft.extensions, ctx.headers) };
    const event = completeEvent(draft, { source: this.catalog.getDataProduct(product).source, dataschema: version.uri }, data);
    return { product, event };
  }
}

function receipt(o: OutgoingEvent, position: string) {
  return { id: o.event.id, position, dataschema: o.event.dataschema ?? "" };
}

function receiptResult(o: OutgoingEvent, position: string): Result {
  return { result: { case: "receipt", value: receipt(o, position) } };
}
