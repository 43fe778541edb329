import { toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { Delivery } from "@meshstream/channel";
import { toProto, type CloudEvent } from "@meshstream/cloudevents";
import { withWireForm } from "@meshstream/grpc";
import { CloudEventSchema, DeliverySchema, SubscribeResponseSchema, type CloudEvent as CloudEventProto } from "@meshstream/proto";

/** What the latest events cost to keep, roughly (see weightOf): about one tail ring's worth. */
const defaultMaxBytes = 16 * 2 ** 20;

type Response = { delivery: { event: CloudEventProto; position: string } };

interface SharedEvent {
  readonly proto: CloudEventProto;
  /** Its encoding, made the first time a gRPC call sends it. */
  bytes?: Uint8Array;
  /** The latest response made with it: readers at the same place (one partition read) send the same one, bytes and all. */
  last?: Response;
  readonly weight: number;
}

/**
 * Subscribe responses whose CloudEvent is converted and encoded once for all
 * the subscribers it goes to (a hundred laggards reading one shared replay
 * send the same decoded event a hundred times): per delivery only its
 * position is added. Encoding every delivery in full was the platform's
 * largest cost there. The latest events are kept, oldest out first, up to
 * `maxBytes`: readers near each other (a ring, a replay) find them; one far
 * behind encodes again, never wrongly. Events are immutable once decoded, so
 * one kept by identity is the same event.
 */
export class DeliveryResponses {
  private readonly events = new Map<CloudEvent, SharedEvent>();
  private bytes = 0;

  constructor(private readonly maxBytes = defaultMaxBytes) {}

  responseOf(d: Delivery): Response {
    const shared = this.sharedOf(d.event);
    if (shared.last?.delivery.position === d.position) return shared.last;
    let bytes: Uint8Array | undefined;
    shared.last = withWireForm({ delivery: { event: shared.proto, position: d.position } }, () => (bytes ??= encodeResponse((shared.bytes ??= toBinary(CloudEventSchema, shared.proto)), d.position)));
    return shared.last;
  }

  get size(): number {
    return this.events.size;
  }

  private sharedOf(event: CloudEvent): SharedEvent {
    const known = this.events.get(event);
    if (known) return known;
    const shared: SharedEvent = { proto: toProto(event), weight: weightOf(event) };
    this.events.set(event, shared);
    this.bytes += shared.weight;
    for (const [oldest, { weight }] of this.events) {
      if (this.bytes <= this.maxBytes || oldest === event) break;
      this.events.delete(oldest);
      this.bytes -= weight;
    }
    return shared;
  }
}

/** The event, its message (data as text or bytes), its encoding and its latest response's: roughly four times the data, and objects. */
function weightOf(event: CloudEvent): number {
  return 4 * (event.data?.byteLength ?? 0) + 1024;
}

const responseField = SubscribeResponseSchema.field.delivery!.number;
const eventField = DeliverySchema.field.event!.number;
const positionField = DeliverySchema.field.position!.number;
/** Reused: finish() copies out what was written and resets it. */
const writer = new BinaryWriter();

/** SubscribeResponse { delivery { event, position } } in wire form, the event already encoded: what toBinary gives, byte for byte. */
function encodeResponse(event: Uint8Array, position: string): Uint8Array {
  return writer.tag(responseField, WireType.LengthDelimited).fork().tag(eventField, WireType.LengthDelimited).bytes(event).tag(positionField, WireType.LengthDelimited).string(position).join().finish();
}
