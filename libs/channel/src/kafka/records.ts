import { fromKafkaRecord, sourceOf, typeOf } from "@meshstream/cloudevents";
import type { KafkaMessage } from "kafkajs";
import type { StoredRecord } from "../partitioned-log";

/** Wraps a fetched message; the event is decoded only for readers whose filter matched its headers. */
export function storedRecord(message: KafkaMessage): StoredRecord {
  return {
    offset: BigInt(message.offset),
    type: typeOf(message.headers as never),
    source: sourceOf(message.headers as never),
    decode: () => fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers as never }),
  };
}
