import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CallError } from "@meshstream/grpc";
import { EventFilterSchema, StartPositionSchema, type EventFilter, type StartPosition } from "@meshstream/proto";

export type Query = Readonly<Record<string, string | string[] | undefined>>;

const valuesOf = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const last = (query: Query, name: string) => valuesOf(query[name]).at(-1);
const invalid = (field: string, message: string, description: string) => new CallError("invalid_argument", message, [{ field, description }]);

// The singular names read better in a URL with one value each: ?type=a&type=b.
const singular: Readonly<Record<string, string>> = { types: "type", typePrefixes: "typePrefix", sources: "source" };

/**
 * Every field of the proto EventFilter, from query parameters named as in its
 * JSON form (types, typePrefixes, …, or the proto names), so that a field
 * added to the filter is accepted here with no change.
 */
export function filterOf(query: Query): EventFilter {
  const json: JsonObject = {};
  for (const field of EventFilterSchema.fields) {
    const names = new Set([field.jsonName, field.name, singular[field.jsonName]].filter((n): n is string => !!n));
    const values = [...names].flatMap((n) => valuesOf(query[n]));
    if (values.length === 0) continue;
    // Message fields (the Subscriptions API dialects) come as their JSON, one value each: ?filters={"prefix":{"type":"shop:"}}.
    const messages = (field.fieldKind === "list" && field.listKind === "message") || field.fieldKind === "message";
    const parsed = messages ? values.map((v) => parseJson(field.jsonName, v)) : values;
    json[field.jsonName] = field.fieldKind === "list" ? parsed : parsed.at(-1)!;
  }
  try {
    return fromJson(EventFilterSchema, json);
  } catch (err) {
    throw invalid("filter", `invalid filter: ${(err as Error).message}`, "query parameters of the EventFilter");
  }
}

function parseJson(name: string, text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw invalid(name, `${name} must be JSON (a filter in the Subscriptions API's form), not ${text.slice(0, 80)}`, "a JSON object per value");
  }
}

/** Every query parameter filterOf reads. */
export const filterParameters: ReadonlySet<string> = new Set(EventFilterSchema.fields.flatMap((f) => [f.jsonName, f.name, singular[f.jsonName]].filter((n): n is string => !!n)));

/** Refuses parameters nobody reads, so that a misspelt filter does not silently match everything. */
export function checkParameters(query: Query, allowed: ReadonlySet<string>): void {
  const unknown = Object.keys(query).filter((k) => !allowed.has(k));
  if (unknown.length > 0) throw invalid(unknown[0]!, `unknown query parameter${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (allowed: ${[...allowed].join(", ")})`, "not a parameter of this route");
}

/** `start=earliest|latest|<RFC 3339 time>` or `after=<position>`; Last-Event-ID (an SSE reconnection) wins over both. */
export function startOf(query: Query, lastEventId: string | undefined): StartPosition {
  const after = lastEventId || last(query, "after");
  if (after) return create(StartPositionSchema, { start: { case: "after", value: after } });
  const start = last(query, "start") ?? "latest";
  if (start === "latest" || start === "earliest") return create(StartPositionSchema, { start: { case: start, value: true } });
  const time = new Date(start);
  if (!/^\d{4}-\d\d-\d\dT/.test(start) || Number.isNaN(time.getTime())) {
    throw invalid("start", `start must be earliest, latest or an RFC 3339 time, not ${start}`, "earliest, latest or an RFC 3339 time");
  }
  return create(StartPositionSchema, { start: { case: "time", value: timestampFromDate(time) } });
}

/** A page size: a positive integer (the service caps it). */
export function maxOf(query: Query): number {
  const max = last(query, "max");
  if (max === undefined) return 0;
  if (!/^\d+$/.test(max) || Number(max) < 1) throw invalid("max", `max must be a positive integer, not ${max}`, "a positive integer");
  return Number(max);
}

/** A long-poll duration: `10s`, `1.5s`, `500ms` or plain seconds. */
export function waitOf(query: Query): { seconds: bigint; nanos: number } | undefined {
  const wait = last(query, "wait");
  if (wait === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(wait);
  if (!m) throw invalid("wait", `wait must be a duration such as 10s or 500ms, not ${wait}`, "a duration: 10s, 1.5s, 500ms");
  const ms = Math.round(Number(m[1]) * (m[2] === "ms" ? 1 : 1000));
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}
