import type { DeadLetter, PartitionProgress, SubscriptionDefinition } from "./model";

/**
 * The port between durable subscriptions and where their state lives:
 * definitions, per-partition acknowledgement state and dead letters. Every
 * adapter passes the same contract suite (durable-subscriptions.contract.ts).
 * Reads are synchronous (from memory or a memory-mapped file); a write
 * resolves once it is durable.
 */
export interface SubscriptionStore {
  /** False when a subscription of that name exists. */
  create(definition: SubscriptionDefinition): Promise<boolean>;
  get(name: string): SubscriptionDefinition | undefined;
  /** In name order. */
  list(): SubscriptionDefinition[];
  /** Removes the definition with its progress and dead letters; false when there was none. */
  delete(name: string): Promise<boolean>;

  progress(name: string): Map<string, PartitionProgress>;
  saveProgress(name: string, partition: string, progress: PartitionProgress): Promise<void>;

  /** In id order. */
  deadLetters(name: string): DeadLetter[];
  /** Adds or replaces. */
  putDeadLetter(name: string, letter: DeadLetter): Promise<void>;
  removeDeadLetter(name: string, id: string): Promise<void>;

  /** Resolves once reads show every write made before the call, by this instance or any other sharing the store. */
  refresh(): Promise<void>;
  /**
   * Takes part in sharing a subscription's partitions between the instances
   * running it (each partition has one owner, which delivers its events):
   * `onAssigned` is called with the partitions this instance owns now, at
   * once or after a rebalance, "all" where there is only ever one instance.
   * The returned function leaves, handing the partitions to the others.
   */
  join(definition: SubscriptionDefinition, onAssigned: (owned: ReadonlySet<string> | "all") => void): Promise<() => Promise<void>>;

  close(): Promise<void>;
}
