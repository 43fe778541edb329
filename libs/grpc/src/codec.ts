import { create, fromBinary, toBinary, type DescMessage, type Message, type MessageInitShape } from "@bufbuild/protobuf";

/**
 * Stands in for a request whose bytes are not a valid protobuf message.
 * grpc-js turns a throwing deserializer into a bare INTERNAL; returning this
 * instead lets the handler answer INVALID_ARGUMENT with the reason.
 */
export class MalformedMessage {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

export function deserializer(schema: DescMessage) {
  return (bytes: Buffer): Message | MalformedMessage => {
    try {
      return fromBinary(schema, bytes);
    } catch (err) {
      return new MalformedMessage(schema.typeName, err instanceof Error ? err.message : String(err));
    }
  };
}

export function serializer(schema: DescMessage) {
  // Handlers may return a message or a plain init object; create() passes a message through.
  return (message: unknown): Buffer => {
    const bytes = toBinary(schema, create(schema, message as MessageInitShape<DescMessage>));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}
