import { create, toBinary, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CloudEventSchema, type CloudEvent as CloudEventProto, type CloudEvent_CloudEventAttributeValueSchema } from "@meshstream/proto";
import { optionalAttributes, requiredAttributes, type CloudEvent } from "./cloud-event";
import { checkTime } from "./construct";

/** A CloudEvent that lacks what the spec requires, naming every missing attribute. */
export class MissingAttributesError extends Error {
  readonly code = "invalid_argument";
  constructor(readonly missing: readonly string[]) {
    super(`CloudEvent is missing required attribute${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`);
    this.name = "MissingAttributesError";
  }
  get violations() {
    return this.missing.map((field) => ({ field, description: `required CloudEvents attribute ${field} is missing` }));
  }
}

const isText = (contentType: string | undefined) => !contentType || /^(application\/(.+\+)?json|text\/)/.test(contentType);

/** The CloudEvents Protobuf format message: JSON and text data as text_data, the rest as binary_data. */
export function toProto(event: CloudEvent): CloudEventProto {
  const attributes: Record<string, MessageInitShape<typeof CloudEvent_CloudEventAttributeValueSchema>> = {};
  for (const a of optionalAttributes) {
    const v = event[a];
    if (v === undefined) continue;
    attributes[a] =
      a === "time"
        ? { attr: { case: "ceTimestamp", value: timestampFromDate(new Date(v)) } }
        : { attr: { case: a === "dataschema" ? "ceUri" : "ceString", value: v } };
  }
  for (const [name, value] of Object.entries(event.extensions)) attributes[name] = { attr: { case: "ceString", value } };
  const data: CloudEventProto["data"] =
    event.data === undefined
      ? { case: undefined }
      : isText(event.datacontenttype)
        ? { case: "textData", value: Buffer.from(event.data).toString("utf8") }
        : { case: "binaryData", value: event.data };
  return create(CloudEventSchema, { id: event.id, source: event.source, specVersion: event.specversion, type: event.type, attributes, data });
}

/**
 * Reads a CloudEvent received in the Protobuf format; attributes of any
 * CloudEvents type are kept in their canonical string form.
 */
export function fromProto(message: CloudEventProto): CloudEvent {
  const missing = requiredAttributes.filter((a) => (a === "specversion" ? !message.specVersion : !message[a]));
  if (missing.length > 0) throw new MissingAttributesError(missing);
  const optional: Record<string, string> = {};
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    const text = attributeText(name, value.attr);
    if (text === undefined) continue;
    if ((optionalAttributes as readonly string[]).includes(name)) optional[name] = text;
    else extensions[name] = text;
  }
  let data: Uint8Array | undefined;
  if (message.data.case === "textData") data = Buffer.from(message.data.value, "utf8");
  else if (message.data.case === "binaryData") data = message.data.value;
  else if (message.data.case === "protoData") data = message.data.value.value;
  return {
    specversion: message.specVersion as "1.0",
    id: message.id,
    source: message.source,
    type: message.type,
    ...optional,
    extensions,
    ...(data === undefined ? {} : { data }),
  };
}

function attributeText(name: string, attr: CloudEventProto["attributes"][string]["attr"]): string | undefined {
  switch (attr.case) {
    case "ceTimestamp":
      return checkTime(name, timestampDate(attr.value)).toISOString();
    case "ceBytes":
      return Buffer.from(attr.value).toString("base64");
    case undefined:
      return undefined;
    default:
      return String(attr.value);
  }
}

/** Compact storage form (the embedded log keeps events in the Protobuf format). */
export const encodeEvent = (event: CloudEvent) => toBinary(CloudEventSchema, toProto(event));
export const decodeEvent = (bytes: Uint8Array) => fromProto(fromBinary(CloudEventSchema, bytes));
