import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Delivery } from "@meshstream/channel";
import { toProto, type CloudEvent } from "@meshstream/cloudevents";
import { serializer } from "@meshstream/grpc";
import { SubscribeResponseSchema } from "@meshstream/proto";
import { DeliveryResponses } from "./delivery-responses";

const encode = serializer(SubscribeResponseSchema);
/** What the simple path sends: the whole response converted and encoded for this delivery alone. */
const reference = (d: Delivery) => Buffer.from(toBinary(SubscribeResponseSchema, create(SubscribeResponseSchema, { delivery: { event: toProto(d.event), position: d.position } })));

const base = { specversion: "1.0" as const, source: "/people", type: "MySource:newPerson", extensions: {} };
const events: CloudEvent[] = [
  { ...base, id: "json", datacontenttype: "application/json", data: Buffer.from('{"first":"Ann","Last":"Ümlaut ✓"}') },
  { ...base, id: "binary", datacontenttype: "application/octet-stream", data: Uint8Array.from([0, 255, 1, 128]) },
  { ...base, id: "no data", time: "2026-01-02T03:04:05.678Z", subject: "s", dataschema: "https://example.com/s/1", extensions: { partitionkey: "k", traceparent: "00-abc-def-01" } },
  // Over 127 bytes of data and of position: multi-byte lengths.
  { ...base, id: "large", datacontenttype: "text/plain", data: Buffer.from("x".repeat(70_000)) },
];
const delivery = (event: CloudEvent, position: string): Delivery => ({ event, position, partition: "p", offset: 0n });

describe("DeliveryResponses", () => {
  it("gives gRPC exactly the bytes of the whole response encoded for the delivery alone, and the same message to other transports", () => {
    const responses = new DeliveryResponses();
    for (const event of events) {
      for (const position of ["AA", "p".repeat(300)]) {
        const d = delivery(event, position);
        const response = responses.responseOf(d);
        expect(encode(response)).toEqual(reference(d));
        expect(create(SubscribeResponseSchema, response)).toEqual(fromBinary(SubscribeResponseSchema, reference(d)));
      }
    }
  });

  it("shares one response among readers at the same position, and the event's message among readers at different ones", () => {
    const responses = new DeliveryResponses();
    const [event] = events;
    const first = responses.responseOf(delivery(event!, "A"));
    expect(responses.responseOf(delivery(event!, "A"))).toBe(first);
    expect(encode(responses.responseOf(delivery(event!, "A")))).toEqual(encode(first));
    const elsewhere = responses.responseOf(delivery(event!, "B"));
    expect(elsewhere).not.toBe(first);
    expect(elsewhere.delivery.event).toBe(first.delivery.event);
    expect(encode(elsewhere)).toEqual(reference(delivery(event!, "B")));
    // An equal event decoded again (another reader's copy) is not taken for the same one: kept by identity only.
    const copy = { ...event!, id: "json" };
    expect(responses.responseOf(delivery(copy, "A"))).not.toBe(first);
  });

  it("keeps the latest events up to its bound, oldest out first, and still answers right for those it let go", () => {
    const responses = new DeliveryResponses(10_000);
    const many = Array.from({ length: 100 }, (_, i): CloudEvent => ({ ...base, id: `e${i}`, data: Buffer.from(`{"n":${i}}`) }));
    const first = responses.responseOf(delivery(many[0]!, "A"));
    for (const e of many) responses.responseOf(delivery(e, "A"));
    // About 1 KiB an event: nine or so kept of a hundred.
    expect(responses.size).toBeGreaterThan(0);
    expect(responses.size).toBeLessThan(10);
    const again = responses.responseOf(delivery(many[0]!, "A"));
    expect(again).not.toBe(first);
    expect(encode(again)).toEqual(reference(delivery(many[0]!, "A")));
    // One event heavier than the bound is still answered (and kept alone until the next).
    const huge = { ...base, id: "huge", data: Buffer.alloc(20_000) };
    expect(encode(responses.responseOf(delivery(huge, "A")))).toEqual(reference(delivery(huge, "A")));
    expect(responses.size).toBe(1);
  });
});
