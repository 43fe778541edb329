import { CallError } from "@meshstream/grpc";
import type { EventInput } from "@meshstream/proto";

/** The event data of an input as JSON text, whichever way it came (Struct or JSON bytes). */
export function dataOf(event: EventInput | undefined): string {
  switch (event?.payload.case) {
    case "data":
      return JSON.stringify(event.payload.value);
    case "dataJson":
      return Buffer.from(event.payload.value).toString("utf8");
    default:
      throw new CallError("invalid_argument", "event has no data: set data or data_json", [{ field: "event.data", description: "required" }]);
  }
}
