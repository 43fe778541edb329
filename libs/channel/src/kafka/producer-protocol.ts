import type { KafkaConfig, Message } from "kafkajs";
import type { ChannelErrorCode } from "../errors";

/** What the producer thread is started with: the channel's client settings (plain data: they are cloned). */
export interface ProducerThreadInit {
  readonly client: KafkaConfig;
  /** Idempotent producers on the thread, each with one produce request in flight at most (1 when absent). */
  readonly lanes?: number;
}

/** Records of one topic in one produce request, as the binary binding made them (their bytes are copied across). */
export interface TopicRecords {
  readonly topic: string;
  readonly messages: readonly (Message & { partition: number })[];
}

/** Where a produce request put one partition's records: they follow `baseOffset`, in request order. */
export interface StoredRange {
  readonly topicName: string;
  readonly partition: number;
  readonly baseOffset: string;
}

export type ProducerRequest =
  | { readonly id: number; readonly op: "connect" }
  /** Through the producer of lane `lane`, after the requests sent to it before. */
  | { readonly id: number; readonly op: "send"; readonly lane: number; readonly timeoutMs: number; readonly topicMessages: readonly TopicRecords[] }
  /** A new producer (a new producer id) for the lane's next sends: see KafkaChannel.replaceProducer. */
  | { readonly id: number; readonly op: "replace"; readonly lane: number }
  | { readonly id: number; readonly op: "disconnect" };

export type ProducerReply =
  | { readonly id: number; readonly stored?: readonly StoredRange[] }
  /** A kafkajs failure: the channel's code for it (channelErrorOf), and kafkajs's own words. */
  | { readonly id: number; readonly error: { readonly code: ChannelErrorCode; readonly message: string } };

/** A Node warning raised on the thread, for the main thread to raise again (it answers no request). */
export interface ThreadWarning {
  readonly warning: { readonly name: string; readonly message: string; readonly code?: string };
}
