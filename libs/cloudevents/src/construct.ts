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

/** An attribute a producer set that the platform does not take: too long, too many, or not a valid time. */
export class InvalidAttributeError extends Error {
  readonly code = "invalid_argument";
  constructor(
    readonly attribute: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidAttributeError";
  }
  get violations() {
    return [{ field: this.attribute, description: this.message }];
  }
}

/**
 * Longest value (in characters) of each attribute a producer may set, and
 * the most extensions one event may carry. The spec sets no limit; these
 * keep keys, headers and logs of a sane size.
 */
export const attributeLimits = { type: 255, id: 256, source: 1024, subject: 1024, extensionValue: 1024, extensions: 32 } as const;

const extensionName = /^[a-z0-9]{1,20}$/;
const reserved = new Set(["id", "source", "specversion", "type", "time", "subject", "datacontenttype", "dataschema", "data"]);

/** A time RFC 3339 can write: a valid date in the years 0 to 9999. */
export function checkTime(attribute: string, time: Date): Date {
  const year = time.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new InvalidAttributeError(attribute, `${attribute} is not a point in time RFC 3339 can write (years 0 to 9999)`);
  return time;
}

/** Refuses a draft whose attributes break the limits or the naming rule, naming the attribute and the limit. */
export function checkDraft(draft: EventDraft): void {
  const tooLong = (attribute: string, value: string | undefined, limit: number) => {
    if (value && value.length > limit) throw new InvalidAttributeError(attribute, `${attribute} is ${value.length} characters long; the limit is ${limit}`);
  };
  tooLong("type", draft.type, attributeLimits.type);
  tooLong("id", draft.id, attributeLimits.id);
  tooLong("source", draft.source, attributeLimits.source);
  tooLong("subject", draft.subject, attributeLimits.subject);
  if (draft.time) checkTime("time", draft.time);
  const extensions = Object.entries(draft.extensions ?? {});
  if (extensions.length > attributeLimits.extensions) {
    throw new InvalidAttributeError("extensions", `${extensions.length} extension attributes; the limit is ${attributeLimits.extensions}`);
  }
  const bad = extensions.map(([n]) => n).filter((n) => !extensionName.test(n) || reserved.has(n));
  if (bad.length > 0) throw new InvalidExtensionError(bad);
  for (const [name, value] of extensions) tooLong(`extensions.${name}`, value, attributeLimits.extensionValue);
}

/** The CloudEvent the platform emits for validated JSON data: id (UUID), time (now) and source (the product's) when absent. */
export function completeEvent(draft: EventDraft, defaults: { source: string; dataschema: string }, data: Uint8Array): CloudEvent {
  checkDraft(draft);
  const extensions = draft.extensions ?? {};
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
