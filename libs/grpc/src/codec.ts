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

/** Responses marked as sent to many calls, and their bytes once encoded. */
const sharedResponses = new WeakMap<object, Buffer | null>();

/**
 * Marks a response that the handler sends, unchanged, to many calls (one
 * delivery to a hundred subscribers): it is encoded once, and its bytes
 * reused for as long as the object lives. It must not change once marked.
 */
export function sharedResponse<T extends object>(message: T): T {
  sharedResponses.set(message, null);
  return message;
}

export function serializer(schema: DescMessage) {
  // Handlers may return a message or a plain init object; create() passes a message through.
  return (message: unknown): Buffer => {
    const known = typeof message === "object" && message !== null ? sharedResponses.get(message) : undefined;
    if (known) return known;
    const bytes = toBinary(schema, create(schema, message as MessageInitShape<DescMessage>));
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (known === null) sharedResponses.set(message as object, buffer);
    return buffer;
  };
}
