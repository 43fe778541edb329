// Durable named subscriptions: acknowledgements, redelivery, competing consumers and dead letters, over the event channel.
export type { SubscriptionActivity, SubscriptionStats } from "./activity";
export { DurableSubscriptions, subscriptionLimits, type FilterOf, type NewSubscription } from "./durable-subscriptions";
export { EmbeddedSubscriptionStore } from "./embedded-subscription-store";
export { KafkaSubscriptionStore, type KafkaSubscriptionStoreOptions } from "./kafka-subscription-store";
export { SubscriptionError, type DeadLetter, type PartitionProgress, type SubscriptionDefinition } from "./model";
export { Consumer, deadLetterReasons, type ReceivedEvent, type RunnerOptions } from "./subscription-runner";
export type { SubscriptionStore } from "./subscription-store";
