import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AccessControl } from "@meshstream/access";
import { OrderedPublisher, type EventChannel, type OutgoingEvent } from "@meshstream/channel";
import { checkDraft, completeEvent, fromProto, type EventDraft } from "@meshstream/cloudevents";
import { CallError, GrpcService, isDomainError, toRpcStatus, withWireForm, type CallContext, type ServiceImpl } from "@meshstream/grpc";
import { IngestService, type EventInput, type PublishStreamRequest } from "@meshstream/proto";
import { EventValidator, type Validated } from "@meshstream/validation";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";
import { dataOf } from "../event-input";
import { IngestInstruments } from "../observability/ingest-instruments";
import { withTraceContext } from "../observability/trace-context";
import { InOrder } from "./in-order";
import { receiptResponseBytes } from "./receipt-response";
import { RejectedStream } from "./rejected-stream";

const encoder = new TextEncoder();
type Result = { result: { case: "receipt"; value: { id: string; position: string; dataschema: string } } | { case: "error"; value: ReturnType<typeof toRpcStatus> } };

/** Thin translator between IngestService messages and validation, CloudEvents and the channel. */
@Injectable()
@GrpcService(IngestService)
export class IngestController implements ServiceImpl<typeof IngestService> {
  private readonly logger = new Logger("ingest");
  /** The channel write, timed and (unless `traced` is false) traced; its events counted accepted once durable. */
  private readonly store = (events: readonly OutgoingEvent[], traced = true): Promise<string[]> => this.instruments.store(events, () => this.channel.publish(events), traced);

  constructor(
    private readonly validator: EventValidator,
    private readonly access: AccessControl,
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly instruments: IngestInstruments,
    private readonly rejected: RejectedStream,
  ) {}

  async publish(req: { event?: EventInput }, ctx: CallContext) {
    const outgoing = await this.checked(req.event, ctx);
    const [position] = await this.store([outgoing]);
    return { receipt: receipt(outgoing, position!) };
  }

  async publishBatch(req: { events: EventInput[] }, ctx: CallContext) {
    const prepared = await Promise.allSettled(req.events.map(async (e) => this.checked(e, ctx)));
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
   * Requests are prepared concurrently (up to 4,096 at a time: enough to
   * fill produce requests while one is in flight), stored in stream order
   * (whatever each one's validation takes, see OrderedPublisher) in
   * batches, and answered in order as soon as each is stored.
   */
  async *publishStream(requests: AsyncIterable<PublishStreamRequest>, ctx: CallContext) {
    // No spans inside a stream (see the gRPC handlers): its server span covers it.
    const publisher = new OrderedPublisher({ publish: (events) => this.store(events, false) });
    const results = new InOrder<Result>(4096);
    void (async () => {
      try {
        for await (const request of requests) {
          await results.room();
          results.add(this.one(publisher, request.event, ctx));
        }
        results.end();
      } catch (err) {
        // A request that cannot be read ends the call with its error, once those before it are answered.
        results.end(err);
      }
    })();
    let sequence = 0n;
    for await (const result of results) {
      const response = { sequence: sequence++, result };
      const answer = result.result;
      yield answer.case === "receipt" ? withWireForm(response, () => receiptResponseBytes(response.sequence, answer.value)) : response;
    }
  }

  private one(publisher: OrderedPublisher, event: EventInput | undefined, ctx: CallContext): Promise<Result> {
    let prepared: OutgoingEvent | Promise<OutgoingEvent>;
    try {
      prepared = this.checked(event, ctx, false);
    } catch (err) {
      return Promise.resolve(this.failure(err));
    }
    const failure = (err: unknown) => this.failure(err);
    if (prepared instanceof Promise) return publisher.submit(prepared).then(async (position) => receiptResult(await prepared, position), failure);
    const outgoing = prepared;
    return publisher.submit(outgoing).then((position) => receiptResult(outgoing, position), failure);
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

  /** prepare(), with a refusal counted (by type and reason), whether it throws or rejects. */
  private checked(input: EventInput | undefined, ctx: CallContext, traced = true): OutgoingEvent | Promise<OutgoingEvent> {
    const refused = (err: unknown): never => {
      this.instruments.refused(input?.type || input?.cloudEvent?.type, err);
      throw err;
    };
    try {
      const prepared = this.prepare(input, ctx, traced);
      return prepared instanceof Promise ? prepared.catch(refused) : prepared;
    } catch (err) {
      return refused(err);
    }
  }

  /**
   * Input → validated CloudEvent for its product's log, if the caller may
   * publish to that product, carrying the trace context it came with:
   * synchronously when the fast path proves the data valid (the common case:
   * no promise, no worker), else once the engine has answered. Throws bad
   * input at once.
   */
  private prepare(input: EventInput | undefined, ctx: CallContext, traced: boolean): OutgoingEvent | Promise<OutgoingEvent> {
    if (!input) throw new CallError("invalid_argument", "event is required", [{ field: "event", description: "required" }]);
    let draft: EventDraft;
    let data: Uint8Array;
    let parsed: unknown;
    if (input.cloudEvent) {
      if (input.type || input.payload.case) {
        throw new CallError("invalid_argument", "set either cloud_event or type and data, not both", [{ field: "event.cloud_event", description: "exclusive with the other fields" }]);
      }
      const ce = fromProto(input.cloudEvent);
      draft = { type: ce.type, id: ce.id, source: ce.source, subject: ce.subject, time: ce.time ? new Date(ce.time) : undefined, extensions: ce.extensions };
      data = ce.data ?? new Uint8Array();
    } else {
      if (!input.type) throw new CallError("invalid_argument", "event type is required", [{ field: "event.type", description: "required" }]);
      switch (input.payload.case) {
        case "data":
          // A Struct is JSON already: validation takes the value, the event the text.
          parsed = input.payload.value;
          data = encoder.encode(dataOf(input));
          break;
        case "dataJson":
          data = input.payload.value;
          break;
        default:
          data = encoder.encode(dataOf(input)); // throws: the event has no data
      }
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
    const complete = { ...draft, extensions: withTraceContext(draft.extensions, ctx.headers) };
    // An id the platform makes cannot repeat an earlier one: such events skip the idempotency window.
    const newId = draft.id ? {} : { newId: true };
    const outgoing = (v: Validated): OutgoingEvent => ({ product: v.product, event: completeEvent(complete, { source: v.source, dataschema: v.version.uri }, data), ...newId });
    const validated = this.instruments.validate(
      () => this.validator.tryFast(draft.type, input.schemaVersion, data, parsed),
      () => this.validator.validate(draft.type, input.schemaVersion, data, parsed),
      traced,
    );
    return validated instanceof Promise ? validated.then(outgoing, (err: unknown) => this.rejected.keep(err, complete, data)) : outgoing(validated);
  }
}

function receipt(o: OutgoingEvent, position: string) {
  return { id: o.event.id, position, dataschema: o.event.dataschema ?? "" };
}

function receiptResult(o: OutgoingEvent, position: string): Result {
  return { result: { case: "receipt", value: receipt(o, position) } };
}
