import { randomUUID } from "node:crypto";
import type { CloudEvent } from "./cloud-event";

/** What a producer may set on an event; the platform fills the rest. */
export interface EventDraft {
  readonly type: string;
  readonly id?: string;
  readonly source?: string;
  readonly subject?: string;
  readonly time?: Date;
  readonly extensions?: Readonly<Record<string, string>>;
}

/** An extension whose name breaks the CloudEvents naming rule (lower-case a–z, 0–9, at most 20). */
export class InvalidExtensionError extends Error {
  readonly code = "invalid_argument";
  constructor(readonly names: readonly string[]) {
    super(`extension attribute names must be 1 to 20 lower-case letters or digits: ${names.join(", ")}`);
    this.name = "InvalidExtensionError";
  }
  get violations() {
    return this.names.map((n) => ({ field: `extensions.${n}`, description: "must match [a-z0-9]{1,20}" }));
  }
}

const extensionName = /^[a-z0-9]{1,20}$/;
const reserved = new Set(["id", "source", "specversion", "type", "time", "subject", "datacontenttype", "dataschema", "data"]);

/** The CloudEvent the platform emits for validated JSON data: id (UUID), time (now) and source (the product's) when absent. */
export function completeEvent(draft: EventDraft, defaults: { source: string; dataschema: string }, data: Uint8Array): CloudEvent {
  const extensions = draft.extensions ?? {};
  const bad = Object.keys(extensions).filter((n) => !extensionName.test(n) || reserved.has(n));
  if (bad.length > 0) throw new InvalidExtensionError(bad);
  return {
    specversion: "1.0",
    id: draft.id || randomUUID(),
    source: draft.source || defaults.source,
    type: draft.type,
    time: (draft.time ?? new Date()).toISOString(),
    ...(draft.subject ? { subject: draft.subject } : {}),
    datacontenttype: "application/json",
    dataschema: defaults.dataschema,
    extensions: { ...extensions },
    data,
  };
}
