import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AccessControl } from "@meshstream/access";
import { toProto } from "@meshstream/cloudevents";
import { FilterCompiler, type DialectFilter } from "@meshstream/filters";
import { CallError, GrpcService, type CallContext, type ServiceImpl } from "@meshstream/grpc";
import {
  SubscriptionService,
  type ConsumeRequest,
  type FetchRejectedRequest,
  type CreateSubscriptionRequest,
  type ListDeadLettersRequest,
  type RedriveRequest,
  type SubscriptionFilterSchema,
  type SubscriptionSchema,
} from "@meshstream/proto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { DurableSubscriptions, type Consumer, type DeadLetter, type ReceivedEvent, type SubscriptionDefinition } from "@meshstream/subscriptions";
import { decodeEvent } from "@meshstream/cloudevents";
import { Catalog } from "@meshstream/catalog";
import type { EventChannel } from "@meshstream/channel";
import { Inject, Injectable } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";
import { rejectedOf, rejectedStreamOf } from "../ingest/rejected-stream";
import { durationMs, specOf, startOf } from "./subscribe.controller";

/** Deliveries sent in one response at most, of those already waiting. */
const maxBatch = 100;
const deadLetterPage = { default: 100, max: 1000 } as const;
const rejectedPage = { default: 100, max: 1000 } as const;

/**
 * Thin translator between SubscriptionService messages and durable
 * subscriptions. Every call on a subscription needs the consumer role on
 * each data product it reads (fixed when it was created).
 */
@Injectable()
@GrpcService(SubscriptionService)
export class SubscriptionsController implements ServiceImpl<typeof SubscriptionService> {
  constructor(
    private readonly durable: DurableSubscriptions,
    private readonly filters: FilterCompiler,
    private readonly access: AccessControl,
    private readonly catalog: Catalog,
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
  ) {}

  async createSubscription(req: CreateSubscriptionRequest, ctx: CallContext) {
    const s = req.subscription;
    if (!s) throw new CallError("invalid_argument", "subscription is required", [{ field: "subscription", description: "the subscription to create" }]);
    const compiled = await this.filters.compile(specOf(s.filter), { at: "subscription.filter" });
    // As Subscribe: every product a named type or prefix reads must be readable; with none named, those readable.
    const named = (s.filter?.types.length ?? 0) > 0 || (s.filter?.typePrefixes.length ?? 0) > 0;
    for (const product of named ? compiled.products : []) this.access.require(ctx, "consumer", product);
    const products = named ? compiled.products : this.access.readable(ctx, compiled.products);
    const definition = await this.durable.create({
      name: s.name,
      filter: specOf(s.filter),
      products,
      start: startOf(s.start),
      ackDeadlineMs: s.ackDeadline ? durationMs(s.ackDeadline, "subscription.ack_deadline") : 0,
      maxDeliveries: s.maxDeliveries,
    });
    return { subscription: subscriptionOf(definition) };
  }

  async getSubscription(req: { name: string }, ctx: CallContext) {
    return { subscription: subscriptionOf(await this.readable(req.name, ctx)) };
  }

  async listSubscriptions(_req: unknown, ctx: CallContext) {
    const mine = this.durable.list().filter((d) => d.products.every((p) => this.access.permits(ctx.caller, "consumer", p)));
    return { subscriptions: mine.map(subscriptionOf) };
  }

  async deleteSubscription(req: { name: string }, ctx: CallContext) {
    await this.readable(req.name, ctx);
    await this.durable.delete(req.name);
    return {};
  }

  /**
   * The first request attaches the consumer; the others are read alongside
   * the deliveries. The consumer leaves (what it holds goes to others) when
   * the client half-closes, cancels, or loses the connection.
   */
  async *consume(requests: AsyncIterable<ConsumeRequest>, ctx: CallContext) {
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) return;
    const name = first.value.subscription;
    if (!name) throw new CallError("invalid_argument", "the first request names the subscription", [{ field: "subscription", description: "a subscription name" }]);
    await this.readable(name, ctx);
    const consumer = await this.durable.consume(name, first.value.maxOutstanding);
    const leave = () => consumer.close();
    ctx.signal.addEventListener("abort", leave, { once: true });
    ctx.sendHeader();
    let badRequest: unknown;
    try {
      apply(consumer, first.value);
      void (async () => {
        try {
          for (let r = await it.next(); !r.done; r = await it.next()) apply(consumer, r.value);
        } catch (err) {
          // A bad request (a negative deadline) ends the call with its error once the consumer has left.
          badRequest = err;
        }
        leave();
      })();
      for (;;) {
        const batch: ReceivedEvent[] = [];
        const next = await consumer.next();
        if (next.done) break;
        batch.push(next.value);
        while (consumer.queued > 0 && batch.length < maxBatch) batch.push(((await consumer.next()) as IteratorYieldResult<ReceivedEvent>).value);
        // A role revoked while the stream runs ends it at the next event (decisions are cached, so this costs a lookup).
        for (const r of batch) this.access.requireForType(ctx, "consumer", r.event.type);
        yield { events: batch.map(receivedOf) };
      }
      if (badRequest) throw badRequest;
    } finally {
      ctx.signal.removeEventListener("abort", leave);
      leave();
    }
  }

  async listDeadLetters(req: ListDeadLettersRequest, ctx: CallContext) {
    await this.readable(req.subscription, ctx);
    const size = Math.min(req.pageSize || deadLetterPage.default, deadLetterPage.max);
    // Letters are in id order: the token is the last id of the page before.
    const all = this.durable.deadLetters(req.subscription).filter((l) => !req.pageToken || l.id > req.pageToken);
    const page = all.slice(0, size);
    return { deadLetters: page.map(deadLetterOf), nextPageToken: all.length > size ? page.at(-1)!.id : "" };
  }

  async redrive(req: RedriveRequest, ctx: CallContext) {
    await this.readable(req.subscription, ctx);
    if (req.all === req.ids.length > 0) throw new CallError("invalid_argument", "name the dead letters to redrive in ids, or set all", [{ field: "ids", description: "dead letter ids, or none with all set" }]);
    return { redriven: await this.durable.redrive(req.subscription, req.ids) };
  }

  async fetchRejected(req: FetchRejectedRequest, ctx: CallContext) {
    if (!req.dataProduct) throw new CallError("invalid_argument", "data_product is required", [{ field: "data_product", description: "a data product name" }]);
    this.catalog.getDataProduct(req.dataProduct);
    this.access.require(ctx, "owner", req.dataProduct);
    const max = Math.min(req.maxEvents || rejectedPage.default, rejectedPage.max);
    const page = await this.channel.fetch({ products: [rejectedStreamOf(req.dataProduct)] }, req.cursor || undefined, max, 0, ctx.signal);
    return {
      events: page.deliveries.map((d) => {
        const { event, violations } = rejectedOf(d.event);
        return { event: toProto(event), violations: [...violations] };
      }),
      nextCursor: page.cursor,
    };
  }

  /** The subscription, once the caller is known to hold the consumer role on every product it reads. */
  private async readable(name: string, ctx: CallContext): Promise<SubscriptionDefinition> {
    if (!name) throw new CallError("invalid_argument", "a subscription name is required", [{ field: "name", description: "a subscription name" }]);
    const definition = await this.durable.find(name);
    for (const product of definition.products) this.access.require(ctx, "consumer", product);
    return definition;
  }
}

function apply(consumer: Consumer, req: ConsumeRequest): void {
  consumer.ack(req.ackIds);
  consumer.nack(req.nackIds);
  for (const change of req.deadlineChanges) consumer.modifyDeadline(change.ackIds, change.deadline ? durationMs(change.deadline, "deadline_changes.deadline") : 0);
}

function subscriptionOf(d: SubscriptionDefinition): MessageInitShape<typeof SubscriptionSchema> {
  const f = d.filter;
  const filter = { types: [...(f.types ?? [])], typePrefixes: [...(f.typePrefixes ?? [])], sources: [...(f.sources ?? [])], sql: f.sql ?? "", filters: (f.filters ?? []).map(dialectProto) };
  return {
    name: d.name,
    filter,
    start: { start: { case: "after", value: d.start } },
    ackDeadline: durationFromMs(d.ackDeadlineMs),
    maxDeliveries: d.maxDeliveries,
    dataProducts: [...d.products],
    createTime: timestampFromDate(new Date(d.createTime)),
  };
}

function receivedOf(r: ReceivedEvent) {
  return { ackId: r.ackId, delivery: { event: toProto(r.event), position: r.position }, deliveryCount: r.deliveryCount };
}

function deadLetterOf(l: DeadLetter) {
  const event = decodeEvent(Buffer.from(l.event, "base64"));
  const extensions = { ...event.extensions, deadletterreason: l.reason, deliverycount: String(l.deliveryCount) };
  return { id: l.id, event: toProto({ ...event, extensions }), reason: l.reason, deliveryCount: l.deliveryCount, time: timestampFromDate(new Date(l.time)), redriving: l.redriving };
}

/** The Subscriptions API filter back in its message form (the inverse of the Subscribe controller's dialectOf). */
function dialectProto(f: DialectFilter): MessageInitShape<typeof SubscriptionFilterSchema> {
  const d = f as Partial<Record<"exact" | "prefix" | "suffix", Record<string, string>> & Record<"all" | "any", DialectFilter[]> & { not: DialectFilter; sql: string }>;
  return {
    exact: { ...d.exact },
    prefix: { ...d.prefix },
    suffix: { ...d.suffix },
    all: (d.all ?? []).map(dialectProto),
    any: (d.any ?? []).map(dialectProto),
    not: d.not ? dialectProto(d.not) : undefined,
    sql: d.sql ?? "",
  };
}
