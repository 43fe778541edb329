import { optionalAttributes } from "./cloud-event";
import type { IncomingEvent } from "./json-format";

const context = new Set<string>(["specversion", "id", "source", "type", ...optionalAttributes]);

/**
 * Header values are percent-encoded where they are not printable ASCII
 * (HTTP binding v1.0.2, 3.1.3.2); a value that does not decode is kept as sent.
 */
function decodeValue(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The attributes of a binary-mode request: every `ce-*` header (lower-case
 * names, as Node gives them), `content-type` as datacontenttype; the body is
 * the data.
 */
export function fromBinaryMode(headers: Readonly<Record<string, string | string[] | undefined>>, body: Uint8Array | undefined): IncomingEvent {
  const attributes: Record<string, string> = {};
  const extensions: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith("ce-") || raw === undefined) continue;
    const value = decodeValue(Array.isArray(raw) ? raw.join(",") : raw);
    const attribute = name.slice(3);
    if (context.has(attribute)) attributes[attribute] = value;
    else extensions[attribute] = value;
  }
  const contentType = headers["content-type"];
  if (typeof contentType === "string") attributes.datacontenttype = contentType;
  return { ...attributes, extensions, ...(body && body.length > 0 ? { data: body } : {}) };
}
