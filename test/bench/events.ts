import { randomUUID } from "node:crypto";
import { toKafkaRecord, type CloudEvent } from "@meshstream/cloudevents";
import type { Message } from "kafkajs";

/** The seed's person, as the benchmarks send it. */
export const personData = Buffer.from(JSON.stringify({ first: "John", Last: "Doe", Age: 40 }));

/** The CloudEvent the platform makes of it (id and time fresh, one of 16 partition keys when `i` is given). */
export const personEvent = (i?: number): CloudEvent => ({
  specversion: "1.0",
  id: randomUUID(),
  source: "/people",
  type: "MySource:newPerson",
  time: new Date().toISOString(),
  datacontenttype: "application/json",
  dataschema: "meshstream:schema/MySource%3AnewPerson/1",
  extensions: i === undefined ? {} : { partitionkey: `k${i % 16}` },
  data: personData,
});

/** A person event as the channel writes it to Kafka (the CloudEvents binary binding), for raw kafkajs producers. */
export function personRecord(): Message {
  const r = toKafkaRecord(personEvent());
  return { key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp };
}
