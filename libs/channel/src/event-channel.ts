import type { CloudEvent } from "@meshstream/cloudevents";

/** An event to store, with the data product whose log (topic) holds it. */
export interface OutgoingEvent {
  readonly product: string;
  readonly event: CloudEvent;
  /** The platform gave the event its id just now, so it cannot repeat one stored earlier: no idempotency lookup. */
  readonly newId?: boolean;
}

/** Which events a reader wants; empty lists match everything. */
export interface ChannelFilter {
  /** Data products to read; the caller resolves types to products through the catalog. */
  readonly products: readonly string[];
  readonly types?: readonly string[];
  readonly typePrefixes?: readonly string[];
  readonly sources?: readonly string[];
  /**
   * Tested on each decoded event that passed the type and source tests on the
   * record's headers (a compiled subscription filter); never throws.
   */
  readonly predicate?: (event: CloudEvent) => boolean;
  /**
   * For a subscription whose products can grow (a type prefix, or no type
   * named, while types are registered): calls `listener` with the products
   * to read whenever they may have changed; returns what stops it. Products
   * added are read as if they had been read from the subscription's start.
   */
  readonly watchProducts?: (listener: (products: readonly string[]) => void) => () => void;
}

export type StartPosition =
  | { readonly kind: "latest" }
  | { readonly kind: "earliest" }
  | { readonly kind: "after"; readonly position: string }
  | { readonly kind: "time"; readonly time: Date };

export interface Delivery {
  readonly event: CloudEvent;
  /** Opaque; resume after this event with `{ kind: "after", position }` or as a fetch cursor. */
  readonly position: string;
  /** Where the event itself is stored: its partition and offset (what durable subscriptions track acks by). */
  readonly partition: string;
  readonly offset: bigint;
}

export interface FetchPage {
  readonly deliveries: readonly Delivery[];
  /** Pass back to get the next page (unchanged when the page is empty). */
  readonly cursor: string;
}

export interface SubscribeOptions {
  /** Ends the subscription: the iterator returns and its resources are released. */
  readonly signal?: AbortSignal;
  /** Called once the start is fixed on the log: every event stored from then on will be delivered. */
  readonly onReady?: () => void;
}

export interface ChannelStats {
  /** Broker consumers (Kafka) or log readers (embedded) open now. */
  readonly consumers: number;
  /** Subscriptions and long polls open now. */
  readonly subscriptions: number;
  /** Readers waiting for the next append now, each holding one listener and one timer. */
  readonly waiters: number;
  /** Records held in memory for readers, across all buffers. */
  readonly bufferedRecords: number;
}

/**
 * The port between the platform and where events live. Every adapter passes
 * the same contract suite (channel.contract.ts).
 */
export interface EventChannel {
  /**
   * Stores events; resolves with one position per event, in order, only once
   * all of them are durable. Rejects with ChannelUnavailableError otherwise.
   * A call's events of one partition are stored in the call's order; calls
   * in flight together have no order between them (a caller that needs one,
   * a stream, waits for each call: OrderedPublisher).
   */
  publish(events: readonly OutgoingEvent[]): Promise<string[]>;
  /**
   * Streams matching events from the start position on. The iterator reads
   * as its consumer pulls (backpressure); breaking out of the loop or
   * aborting the signal releases everything it held. Per partition, events
   * come in offset order with no gap and no duplicate; a subscription that
   * cannot keep that ends with a ChannelError (UNAVAILABLE, or DATA_LOSS when
   * the log no longer holds what comes next) whose `position` resumes it.
   */
  subscribe(filter: ChannelFilter, start: StartPosition, options?: SubscribeOptions): AsyncIterable<Delivery>;
  /**
   * A page of at most `max` matching events after `cursor`, waiting up to
   * `waitMs` for one when there is none; `signal` ends the wait early.
   */
  fetch(filter: ChannelFilter, cursor: string | undefined, max: number, waitMs: number, signal?: AbortSignal): Promise<FetchPage>;
  /**
   * The position a start stands for now on the filter's partitions, so that
   * a reader created later still begins there (a durable subscription fixes
   * "latest" when it is created, not when its first consumer attaches).
   */
  resolveStart(filter: ChannelFilter, start: StartPosition): Promise<string>;
  stats(): ChannelStats;
  /**
   * Whether the channel can reach where events live (a broker) now: calls
   * `listener` with the state at once and on every change, until the returned
   * function is called. Readiness (gRPC health) follows it.
   */
  watchAvailability(listener: (available: boolean) => void): () => void;
  close(): Promise<void>;
}
