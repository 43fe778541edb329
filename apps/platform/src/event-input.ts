import { CallError } from "@meshstream/grpc";
import type { EventInput } from "@meshstream/proto";

/** The event data of an input as JSON text, whichever way it came (Struct or JSON bytes). */
export function dataOf(event: EventInput | undefined): string {
  switch (event?.payload.case) {
    case "data": {
      // A Struct may carry NaN or ±Infinity, which JSON cannot: JSON.stringify would quietly write null.
      const bad = nonFinite(event.payload.value, "event.data");
      if (bad) throw new CallError("invalid_argument", `${bad.path} is ${bad.value}, which is not a JSON number`, [{ field: bad.path, description: "must be a finite number" }]);
      return JSON.stringify(event.payload.value);
    }
    case "dataJson":
      return Buffer.from(event.payload.value).toString("utf8");
    default:
      throw new CallError("invalid_argument", "event has no data: set data or data_json", [{ field: "event.data", description: "required" }]);
  }
}

/** The first number in a Struct's JSON form that is not finite, with its path. */
function nonFinite(value: unknown, path: string): { path: string; value: number } | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { path, value };
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = nonFinite(inner, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
