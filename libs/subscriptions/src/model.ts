import type { FilterSpec } from "@meshstream/filters";

/** A durable named subscription: what it reads, from where, and how deliveries are retried. */
export interface SubscriptionDefinition {
  readonly name: string;
  readonly filter: FilterSpec;
  /** The data products the filter reads, fixed when the subscription is created (the access check and the partitions it tracks). */
  readonly products: readonly string[];
  /** The channel position the start stood for when the subscription was created. */
  readonly start: string;
  readonly ackDeadlineMs: number;
  /** Deliveries of one event before it goes to the dead letters. */
  readonly maxDeliveries: number;
  readonly createTime: string;
}

/**
 * The acknowledgement state of one partition, as stored: every offset below
 * `next` is settled (acknowledged, dead-lettered, or not matched by the
 * filter); above it, `settled` lists the settled offsets as [from, to]
 * ranges and `attempts` counts the deliveries of the others read so far.
 */
export interface PartitionProgress {
  readonly next: string;
  readonly settled: readonly (readonly [string, string])[];
  readonly attempts: Readonly<Record<string, number>>;
}

/** An event that could not be delivered: kept, with why, until redriven or the subscription is deleted. */
export interface DeadLetter {
  readonly id: string;
  /** The partition the event came from: the instance owning it delivers the letter when it is redriven. */
  readonly partition: string;
  /** The event, CloudEvents protobuf format, base64. */
  readonly event: string;
  readonly reason: string;
  readonly deliveryCount: number;
  readonly time: string;
  /** Put back into the subscription by a redrive and not yet acknowledged. */
  readonly redriving: boolean;
}

export class SubscriptionError extends Error {
  constructor(
    readonly code: "invalid_argument" | "not_found" | "already_exists" | "failed_precondition" | "unavailable",
    message: string,
    readonly violations?: readonly { field: string; description: string }[],
  ) {
    super(message);
    this.name = "SubscriptionError";
  }
}
