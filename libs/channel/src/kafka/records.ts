import { fromKafkaRecord, sourceOf, typeOf, type CloudEvent } from "@meshstream/cloudevents";
import type { KafkaMessage } from "kafkajs";
import type { StoredRecord } from "../partitioned-log";

/** A fetched message as readers see it. */
export interface KafkaStoredRecord extends StoredRecord {
  /** Bytes the message holds in memory, roughly: what the ring counts against its bound. */
  readonly bytes: number;
}

/**
 * Wraps a fetched message; the event is decoded only for readers whose
 * filter matched its headers, and once for all of them: a hundred
 * subscribers of one topic share one decoded event.
 */
export function storedRecord(message: KafkaMessage): KafkaStoredRecord {
  let event: CloudEvent | undefined;
  return {
    offset: BigInt(message.offset),
    type: typeOf(message.headers as never),
    source: sourceOf(message.headers as never),
    bytes: recordBytes(message),
    decode: () => (event ??= fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers as never })),
  };
}

/** Roughly what a record weighs, in a produce request or in memory: key, value, headers and some overhead. */
export function recordBytes(record: { key?: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, unknown> }): number {
  let bytes = 64 + (record.value?.length ?? 0) + (record.key?.length ?? 0);
  for (const name in record.headers) bytes += name.length + String(record.headers[name]).length;
  return bytes;
}
