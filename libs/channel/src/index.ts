// Before any Kafka client is made, in every process and thread that loads the channel: see the file.
import "./kafka/request-queue-fix";
export type { ChannelFilter, ChannelStats, Delivery, EventChannel, FetchPage, OutgoingEvent, StartPosition, SubscribeOptions } from "./event-channel";
export type { PartitionedLog } from "./partitioned-log";
export { ChannelClosedError, ChannelError, ChannelUnavailableError, EventsExpiredError, InvalidPositionError, type ChannelErrorCode } from "./errors";
export { EmbeddedChannel } from "./embedded/embedded-channel";
export { KafkaChannel, type KafkaChannelOptions } from "./kafka/kafka-channel";
export { CompactedTopicLog, whileRetriable } from "./kafka/compacted-topic";
export { OrderedPublisher } from "./ordered-publisher";
export { decodePosition, encodePosition, partitionId, type Cursor } from "./position";
export { IdempotentAppender, type IdempotencyWindow } from "./idempotency";
