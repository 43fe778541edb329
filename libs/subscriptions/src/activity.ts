import type { deadLetterReasons } from "./subscription-runner";

/**
 * What a subscription's consumers did on this instance since it started, for
 * the platform's metrics: counters only ever grow, and outlive the runner
 * (which stops with its last consumer and starts again with the next).
 */
export interface SubscriptionActivity {
  /** First deliveries. */
  delivered: number;
  /** Deliveries after a nack, an expired deadline or a consumer that left. */
  redelivered: number;
  acknowledged: number;
  /** Deliveries that came back unacknowledged, by why (the dead-letter reasons' keys). */
  readonly returned: Record<keyof typeof deadLetterReasons, number>;
  /** Events moved to the dead letters after their last delivery. */
  deadLettered: number;
  /** The runner delivering the subscription here now, if any: what is held now is read from it. */
  runner?: { readonly consumerCount: number; readonly outstanding: number };
}

export const newActivity = (): SubscriptionActivity => ({ delivered: 0, redelivered: 0, acknowledged: 0, returned: { nacked: 0, expired: 0, left: 0 }, deadLettered: 0 });

/** A subscription as the metrics see it: its activity here, and what it holds now. */
export interface SubscriptionStats extends Omit<SubscriptionActivity, "runner"> {
  readonly name: string;
  /** Consumers attached to this instance. */
  readonly consumers: number;
  /** Deliveries held by those consumers, not yet acknowledged. */
  readonly outstanding: number;
}
