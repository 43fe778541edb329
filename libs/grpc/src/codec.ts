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

const wireForm = Symbol("wire form");

/**
 * Gives a response the bytes gRPC sends for it, made by the handler from
 * parts encoded once for many calls (one CloudEvent to a hundred
 * subscribers) instead of encoding the whole message per call. `encode`
 * must give exactly the message's encoding; the other transports (Connect,
 * Server-Sent Events) read the message itself.
 */
export function withWireForm<T extends object>(message: T, encode: () => Uint8Array): T {
  (message as { [wireForm]?: () => Uint8Array })[wireForm] = encode;
  return message;
}

export function serializer(schema: DescMessage) {
  // Handlers may return a message or a plain init object; create() passes a message through.
  return (message: unknown): Buffer => {
    const encode = (message as { [wireForm]?: () => Uint8Array } | undefined)?.[wireForm];
    const bytes = encode ? encode() : toBinary(schema, create(schema, message as MessageInitShape<DescMessage>));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}
