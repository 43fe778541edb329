import type { Catalog } from "@meshstream/catalog";
import type { EventChannel, OutgoingEvent } from "@meshstream/channel";
import { isDomainError } from "@meshstream/grpc";
import type { SubscriptionStats } from "@meshstream/subscriptions";
import { InvalidEventError } from "@meshstream/validation";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Label value for a type (and its product) the catalog does not know: one value, however many names clients send. */
export const UNKNOWN = "unknown";

/**
 * Why an event was refused, as the `outcome` label says it: a closed set, so
 * that the counter's cardinality is bounded by the catalog's types times these.
 */
export function refusalOf(err: unknown): string {
  if (err instanceof InvalidEventError) return "invalid_data";
  if (!isDomainError(err)) return "internal";
  switch (err.code) {
    case "not_found":
      return "unknown_type";
    case "invalid_argument":
      return "invalid_request";
    default:
      return err.code;
  }
}

const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const lagBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600];

/** What the gauges read when Prometheus scrapes: nothing is counted twice, nothing is kept in step by hand. */
export interface MetricSources {
  readonly catalog: Catalog;
  readonly channel: EventChannel;
}

/**
 * The platform's Prometheus registry and instruments. A registry of its own
 * (not prom-client's global one) so that the HTTP listener's `/metrics` can
 * serve the same one, and tests can start several platforms in one process.
 */
export class PlatformMetrics {
  readonly registry = new Registry();

  private readonly ingestEvents = new Counter({
    name: "meshstream_ingest_events_total",
    help: "Events offered to ingest, by data product, type and outcome (accepted, or the reason of the refusal)",
    labelNames: ["product", "type", "outcome"] as const,
    registers: [this.registry],
  });
  /** Validations by path, counted in plain numbers on the hot path and read at each scrape. */
  private readonly validations = { fast: 0, engine: 0 };
  private readonly engineSeconds = new Histogram({
    name: "meshstream_validation_duration_seconds",
    help: "Time the CUE engine took to validate one event's data (the compiled validators take well under a microsecond: they are counted, not timed)",
    labelNames: ["path"] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  private readonly channelWriteSeconds = new Histogram({
    name: "meshstream_channel_write_duration_seconds",
    help: "Time until a publish to the channel is durable (one batch), by channel kind",
    labelNames: ["channel"] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  private readonly deliveryLagSeconds = new Histogram({
    name: "meshstream_delivery_lag_seconds",
    help: "From an event's time to its delivery to a subscriber, by data product and mode (stream: Subscribe, fetch: Fetch)",
    labelNames: ["product", "mode"] as const,
    buckets: lagBuckets,
    registers: [this.registry],
  });
  private readonly grpcHandled = new Counter({
    name: "meshstream_grpc_server_handled_total",
    help: "gRPC calls completed, by method and status code",
    labelNames: ["method", "code"] as const,
    registers: [this.registry],
  });
  private readonly httpRequests = new Counter({
    name: "meshstream_http_server_requests_total",
    help: "HTTP requests answered (the REST routes, SSE, Connect and gRPC-Web), by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly httpSeconds = new Histogram({
    name: "meshstream_http_server_request_duration_seconds",
    help: "HTTP request duration, until the response ends (a stream's whole life), by method and route pattern",
    labelNames: ["method", "route"] as const,
    buckets: [...latencyBuckets, 10, 60, 600],
    registers: [this.registry],
  });
  private readonly grpcHandlingSeconds = new Histogram({
    name: "meshstream_grpc_server_handling_seconds",
    help: "gRPC call duration, from its metadata to its status, by method",
    labelNames: ["method"] as const,
    buckets: [...latencyBuckets, 10, 60, 600],
    registers: [this.registry],
  });

  // Children with their labels bound, for the per-event calls: no label hashing on the hot path.
  private readonly engineValidation = this.engineSeconds.labels({ path: "engine" });
  private readonly channelWrite;
  private readonly acceptedByType = new Map<string, ReturnType<Counter<"product" | "type" | "outcome">["labels"]>>();

  constructor(
    private readonly sources: MetricSources,
    channelKind: string,
  ) {
    this.channelWrite = this.channelWriteSeconds.labels({ channel: channelKind });
    collectDefaultMetrics({ register: this.registry });
    this.totals("meshstream_validations_total", "Validations of events' data, by path (fast: a compiled validator proved the data valid; engine: the CUE engine decided)", ["path"], () => [
      [{ path: "fast" }, this.validations.fast],
      [{ path: "engine" }, this.validations.engine],
    ]);
    this.gauge("meshstream_open_subscriptions", "Subscriptions and long polls reading the channel now", [], () => [[{}, sources.channel.stats().subscriptions]]);
    this.gauge("meshstream_channel_consumers", "Broker consumers (Kafka: tails and shared replays) or log readers (embedded) open now", [], () => [[{}, sources.channel.stats().consumers]]);
    this.gauge("meshstream_channel_buffered_records", "Records the channel holds in memory for its readers", [], () => [[{}, sources.channel.stats().bufferedRecords]]);
    this.gauge("meshstream_catalog_entries", "Entries in the catalog, by kind (data_product, event_type, schema_version)", ["kind"], () => {
      const types = allPages((token) => sources.catalog.listEventTypes("", 1000, token));
      return [
        [{ kind: "data_product" }, allPages((token) => sources.catalog.listDataProducts(1000, token)).length],
        [{ kind: "event_type" }, types.length],
        [{ kind: "schema_version" }, types.reduce((n, t) => n + t.latestVersion, 0)],
      ];
    });
  }

  /** The gRPC server exists after the metrics (it reports each call's end to them): it is read from then on. */
  watchStreams(openStreams: () => number): void {
    this.gauge("meshstream_grpc_open_streams", "Streaming gRPC calls open now (Subscribe, PublishStream, health Watch, …)", [], () => [[{}, openStreams()]]);
  }

  /**
   * Durable subscriptions, read at each scrape from what their runners count
   * (the subscriptions module exists after the metrics). Label values are the
   * names of subscriptions consumed on this instance since it started.
   */
  watchSubscriptions(read: () => readonly SubscriptionStats[]): void {
    const each = <L extends string>(values: (s: SubscriptionStats) => [Partial<Record<L, string>>, number][]) => () =>
      read().flatMap((s) => values(s).map(([labels, value]): [Record<string, string>, number] => [{ subscription: s.name, ...labels }, value]));
    this.totals(
      "meshstream_subscription_deliveries_total",
      "Deliveries to the consumers of a durable subscription, first or again (after a nack, an expired deadline or a consumer that left)",
      ["subscription", "delivery"],
      each((s) => [
        [{ delivery: "first" }, s.delivered],
        [{ delivery: "redelivery" }, s.redelivered],
      ]),
    );
    this.totals("meshstream_subscription_acknowledged_total", "Deliveries acknowledged by the consumers of a durable subscription", ["subscription"], each((s) => [[{}, s.acknowledged]]));
    this.totals(
      "meshstream_subscription_returned_total",
      "Deliveries that came back unacknowledged, by reason (nacked, expired, left)",
      ["subscription", "reason"],
      each((s) => Object.entries(s.returned).map(([reason, n]) => [{ reason }, n])),
    );
    this.totals("meshstream_subscription_dead_lettered_total", "Events of a durable subscription moved to its dead letters after their last delivery", ["subscription"], each((s) => [[{}, s.deadLettered]]));
    this.gauge("meshstream_subscription_consumers", "Consumers attached to a durable subscription on this instance now", ["subscription"], each((s) => [[{}, s.consumers]]));
    this.gauge("meshstream_subscription_outstanding", "Deliveries of a durable subscription held by its consumers, not yet acknowledged", ["subscription"], each((s) => [[{}, s.outstanding]]));
  }

  /** A gauge read at each scrape (`read` gives each label set's value). */
  private gauge(name: string, help: string, labelNames: readonly string[], read: () => [Record<string, string>, number][]): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /**
   * A counter whose totals are kept elsewhere (plain numbers on the hot path,
   * the subscription runners' counts): set to them at each scrape.
   */
  private totals(name: string, help: string, labelNames: readonly string[], read: () => [Record<string, string>, number][]): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** The product of a type the catalog knows; UNKNOWN for both otherwise. */
  private labelsOf(type: string | undefined): { product: string; type: string } {
    if (!type) return { product: UNKNOWN, type: UNKNOWN };
    try {
      return { product: this.sources.catalog.getEventType(type).dataProduct, type };
    } catch {
      return { product: UNKNOWN, type: UNKNOWN };
    }
  }

  accepted(events: readonly OutgoingEvent[]): void {
    // One increment per run of events of one type (a stream's batch is mostly one run).
    for (let i = 0; i < events.length; ) {
      const { product, event } = events[i]!;
      let run = 1;
      while (i + run < events.length && events[i + run]!.event.type === event.type && events[i + run]!.product === product) run++;
      i += run;
      // Bounded: accepted events are of the catalog's types.
      const key = `${product}\0${event.type}`;
      let counter = this.acceptedByType.get(key);
      if (!counter) this.acceptedByType.set(key, (counter = this.ingestEvents.labels({ product, type: event.type, outcome: "accepted" })));
      counter.inc(run);
    }
  }

  refused(type: string | undefined, err: unknown): void {
    this.ingestEvents.inc({ ...this.labelsOf(type), outcome: refusalOf(err) });
  }

  /**
   * One gRPC call ended, as its log line says it. Only registered methods get
   * there (grpc-js answers others UNIMPLEMENTED itself), so the `method` label
   * is bounded by the API.
   */
  grpcCallEnded(call: { method: string; code: string; durationMs: number }): void {
    this.grpcHandled.inc({ method: call.method, code: call.code });
    this.grpcHandlingSeconds.observe({ method: call.method }, call.durationMs / 1000);
  }

  /** One HTTP request answered; a path no route matched is counted under the route "unmatched", whatever it was. */
  httpAnswered(entry: { method: string; route: string; status: number; durationMs: number }): void {
    const route = entry.route || "unmatched";
    this.httpRequests.inc({ method: entry.method, route, status: String(entry.status) });
    this.httpSeconds.observe({ method: entry.method, route }, entry.durationMs / 1000);
  }

  /** A validation by the compiled validator: a count (a histogram's observation would cost more than the validation). */
  validatedFast(): void {
    this.validations.fast++;
  }

  validatedByEngine(seconds: number): void {
    this.validations.engine++;
    this.engineValidation.observe(seconds);
  }

  written(seconds: number): void {
    this.channelWrite.observe(seconds);
  }

  delivered(type: string, time: string | undefined, mode: "stream" | "fetch"): void {
    if (!time) return;
    this.deliveryLagSeconds.observe({ product: this.labelsOf(type).product, mode }, Math.max(0, (Date.now() - Date.parse(time)) / 1000));
  }
}

function allPages<T>(page: (token: string) => { items: T[]; nextPageToken: string }): T[] {
  const all: T[] = [];
  let token = "";
  do {
    const p = page(token);
    all.push(...p.items);
    token = p.nextPageToken;
  } while (token);
  return all;
}
