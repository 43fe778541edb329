import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

type Method<I extends DescMessage, O extends DescMessage> = DescMethod & { input: I; output: O };

/**
 * A plain grpc-js client speaking protobuf-es messages, as a TypeScript user
 * of the platform would write one: real HTTP/2 over a real socket.
 */
export class TestClient {
  readonly raw: grpc.Client;

  constructor(address: string, options: grpc.ChannelOptions = {}) {
    this.raw = new grpc.Client(address, grpc.credentials.createInsecure(), options);
  }

  unary<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, input: MessageInitShape<I>, metadata = new grpc.Metadata()): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) =>
      this.raw.makeUnaryRequest(path(method), serialize(method.input), deserialize(method.output), create(method.input, input), metadata, (err, out) =>
        err ? reject(err) : resolve(out!),
      ),
    );
  }

  serverStream<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, input: MessageInitShape<I>): grpc.ClientReadableStream<MessageShape<O>> {
    return this.raw.makeServerStreamRequest(path(method), serialize(method.input), deserialize(method.output), create(method.input, input));
  }

  bidiStream<I extends DescMessage, O extends DescMessage>(method: Method<I, O>): grpc.ClientDuplexStream<MessageShape<I>, MessageShape<O>> {
    return this.raw.makeBidiStreamRequest(path(method), serialize(method.input), deserialize(method.output));
  }

  close(): void {
    this.raw.close();
  }
}

const path = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;
const serialize = (schema: DescMessage) => (m: MessageShape<DescMessage>) => Buffer.from(toBinary(schema, m));
const deserialize = <O extends DescMessage>(schema: O) => (b: Buffer) => fromBinary(schema, b);
