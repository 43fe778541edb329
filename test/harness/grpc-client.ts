import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

type Method<I extends DescMessage, O extends DescMessage> = DescMethod & { input: I; output: O };

/**
 * A plain grpc-js client speaking protobuf-es messages, as a TypeScript user
 * of the platform would write one: real HTTP/2 over a real socket.
 */
export class TestClient {
  readonly raw: grpc.Client;

  constructor(address: string, options: grpc.ChannelOptions = {}, credentials = grpc.credentials.createInsecure()) {
    this.raw = new grpc.Client(address, credentials, options);
  }

  unary<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, input: MessageInitShape<I>, metadata = new grpc.Metadata()): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) =>
      this.raw.makeUnaryRequest(methodPath(method), serialize(method.input), deserialize(method.output), create(method.input, input), metadata, (err, out) =>
        err ? reject(err) : resolve(out!),
      ),
    );
  }

  serverStream<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, input: MessageInitShape<I>): grpc.ClientReadableStream<MessageShape<O>> {
    return this.raw.makeServerStreamRequest(methodPath(method), serialize(method.input), deserialize(method.output), create(method.input, input));
  }

  bidiStream<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, metadata = new grpc.Metadata()): grpc.ClientDuplexStream<MessageShape<I>, MessageShape<O>> {
    return this.raw.makeBidiStreamRequest(methodPath(method), serialize(method.input), deserialize(method.output), metadata);
  }

  close(): void {
    this.raw.close();
  }
}

/** The HTTP/2 path of a method, as grpc-js's low-level calls take it (for clients sending bytes of their own too). */
export const methodPath = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;
const serialize = (schema: DescMessage) => (m: MessageShape<DescMessage>) => Buffer.from(toBinary(schema, m));
const deserialize = <O extends DescMessage>(schema: O) => (b: Buffer) => fromBinary(schema, b);

/** `authorization: Bearer <token>` as call metadata (on a plaintext loopback channel, where call credentials are not allowed). */
export function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/** TLS trusting `ca`, with a client certificate (mTLS) and a bearer token on every call when given. */
export function secureCredentials(ca: Buffer, client?: { cert: Buffer; key: Buffer }, token?: string): grpc.ChannelCredentials {
  const tls = grpc.credentials.createSsl(ca, client?.key ?? null, client?.cert ?? null);
  if (token === undefined) return tls;
  return grpc.credentials.combineChannelCredentials(
    tls,
    grpc.credentials.createFromMetadataGenerator((_params, callback) => callback(null, bearer(token))),
  );
}
