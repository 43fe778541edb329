import { optionalAttributes, type CloudEvent } from "./cloud-event";

/**
 * An event as a producer sent it over HTTP, before the platform completes
 * it: every attribute may be missing (the platform fills id, source, time and
 * specversion as on gRPC), time is still text.
 */
export interface IncomingEvent {
  readonly specversion?: string;
  readonly id?: string;
  readonly source?: string;
  readonly type?: string;
  readonly subject?: string;
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly extensions: Readonly<Record<string, string>>;
  readonly data?: Uint8Array;
}

/** A structured-mode event that is not a CloudEvent in the JSON format. */
export class InvalidEnvelopeError extends Error {
  readonly code = "invalid_argument";
  constructor(
    message: string,
    readonly violations: readonly { field: string; description: string }[],
  ) {
    super(message);
    this.name = "InvalidEnvelopeError";
  }
}

const isJson = (contentType: string | undefined) => !contentType || /^(application|text)\/([^;]+\+)?json\s*(;|$)/i.test(contentType);
const context = new Set<string>(["specversion", "id", "source", "type", ...optionalAttributes]);

/**
 * The CloudEvents JSON format (v1.0.2): JSON data inline as `data`, any
 * other content as `data_base64`, extensions as top-level members.
 */
export function toJsonFormat(event: CloudEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { specversion: event.specversion, id: event.id, source: event.source, type: event.type };
  for (const a of optionalAttributes) if (event[a] !== undefined) out[a] = event[a];
  Object.assign(out, event.extensions);
  if (event.data !== undefined) {
    const inline = isJson(event.datacontenttype) ? parseJson(event.data) : undefined;
    if (inline !== undefined) out.data = inline.value;
    else out.data_base64 = Buffer.from(event.data).toString("base64");
  }
  return out;
}

function parseJson(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(Buffer.from(bytes).toString("utf8")) };
  } catch {
    // Stored by another writer without being checked: delivered as bytes rather than dropped.
    return undefined;
  }
}

/** Reads one event of the JSON format (structured mode, or one member of a batch). */
export function fromJsonFormat(value: unknown, field = "event"): IncomingEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidEnvelopeError("a structured CloudEvent must be a JSON object", [{ field, description: "a JSON object" }]);
  }
  const attributes: Record<string, string> = {};
  const extensions: Record<string, string> = {};
  const bad: { field: string; description: string }[] = [];
  for (const [name, v] of Object.entries(value)) {
    if (name === "data" || name === "data_base64") continue;
    if (v === null || v === undefined) continue;
    // Extensions may be booleans or integers in JSON; the platform keeps their canonical string form.
    const ok = context.has(name) ? typeof v === "string" : ["string", "number", "boolean"].includes(typeof v);
    if (!ok) bad.push({ field: `${field}.${name}`, description: context.has(name) ? "a string" : "a string, number or boolean" });
    else if (context.has(name)) attributes[name] = v as string;
    else extensions[name] = String(v);
  }
  const { data, data_base64: base64 } = value as { data?: unknown; data_base64?: unknown };
  if (data !== undefined && base64 !== undefined) bad.push({ field: `${field}.data`, description: "data and data_base64 are exclusive" });
  if (base64 !== undefined && typeof base64 !== "string") bad.push({ field: `${field}.data_base64`, description: "base64 text" });
  if (bad.length > 0) throw new InvalidEnvelopeError(`invalid CloudEvent: ${bad.map((b) => `${b.field} must be ${b.description}`).join("; ")}`, bad);
  let bytes: Uint8Array | undefined;
  if (typeof base64 === "string") bytes = Buffer.from(base64, "base64");
  else if (data !== undefined) bytes = Buffer.from(isJson(attributes.datacontenttype) || typeof data !== "string" ? JSON.stringify(data) : data);
  return { ...attributes, extensions, ...(bytes ? { data: bytes } : {}) };
}
