import type { CloudEvent } from "./cloud-event";
import { optionalAttributes, partitionKey } from "./cloud-event";

/** A record in the shape kafkajs sends and receives. */
export interface KafkaRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string | Buffer | undefined>;
  readonly timestamp?: string;
}

/**
 * CloudEvents Kafka binding, binary content mode: attributes in `ce_*`
 * headers, `content-type` from datacontenttype, data as the value, key from
 * partitionkey or else the subject. The headers are those the SDK's binding
 * (`Kafka.binary`) writes, in its order (the spec checks it), built
 * directly: this runs once per event on the ingest path. The value shares
 * the data's bytes.
 */
export function toKafkaRecord(event: CloudEvent, now = Date.now()): KafkaRecord {
  const headers: Record<string, string> = {};
  if (event.datacontenttype !== undefined) headers["content-type"] = event.datacontenttype;
  for (const name in event) {
    if (name === "extensions" || name === "data") continue;
    const value = event[name as keyof CloudEvent];
    if (value !== undefined) headers[`ce_${name}`] = String(value);
  }
  for (const name in event.extensions) {
    const value = event.extensions[name];
    if (value !== undefined) headers[`ce_${name}`] = value;
  }
  const data = event.data;
  return {
    key: partitionKey(event) ?? null,
    value: data ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.alloc(0),
    headers,
    timestamp: String(event.time ? Date.parse(event.time) || now : now),
  };
}

/** The `ce_type` header, read before any decoding so that filtering costs nothing for the rest. */
export function typeOf(headers: KafkaRecord["headers"] | undefined): string | undefined {
  return headers?.ce_type?.toString();
}

export function sourceOf(headers: KafkaRecord["headers"] | undefined): string | undefined {
  return headers?.ce_source?.toString();
}

const known = new Set(["ce_id", "ce_source", "ce_specversion", "ce_type", ...optionalAttributes.map((a) => `ce_${a}`)]);

/**
 * Reads a binary-mode record back. The SDK's parser is not used here: it
 * builds a validated CloudEvent object and parses JSON data, where the
 * platform must hand consumers the exact bytes it stored (and it throws on
 * an empty value, which is a valid event without data).
 */
export function fromKafkaRecord(record: KafkaRecord): CloudEvent {
  const h = (name: string) => record.headers[name]?.toString();
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (name.startsWith("ce_") && !known.has(name) && value !== undefined) extensions[name.slice(3)] = value.toString();
  }
  const optional: Record<string, string> = {};
  for (const a of optionalAttributes) {
    const v = h(`ce_${a}`);
    if (v !== undefined) optional[a] = v;
  }
  const contentType = h("content-type");
  if (contentType !== undefined) optional.datacontenttype = contentType;
  return {
    specversion: "1.0",
    id: h("ce_id") ?? "",
    source: h("ce_source") ?? "",
    type: h("ce_type") ?? "",
    ...optional,
    extensions,
    ...(record.value && record.value.length > 0 ? { data: new Uint8Array(record.value) } : {}),
  };
}
