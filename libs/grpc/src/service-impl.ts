import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { Caller } from "@meshstream/access";

/** The request's headers (gRPC metadata or HTTP headers) by lower-case name; binary (-bin) metadata is left out. */
export interface RequestHeaders {
  get(name: string): string | undefined;
}

/**
 * What a handler knows of its call, the same whichever transport carries it
 * (gRPC, or HTTP: the Connect protocol and the CloudEvents/SSE/REST routes).
 */
export interface CallContext {
  /** Fully qualified method, e.g. "meshstream.v1.IngestService/Publish". */
  readonly method: string;
  /** Who is calling, authenticated once for the call; controllers ask the access lib what it may do. */
  readonly caller: Caller;
  /** Aborted when the client cancels, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  readonly headers: RequestHeaders;
  /** The client's address, host:port. */
  readonly peer: string;
  /**
   * Sends the response headers now rather than with the first message, so a
   * client learns that a stream is established before anything flows on it
   * (a no-op where the transport cannot).
   */
  sendHeader(): void;
}

type In<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? MessageInitShape<O> : never;

/** The shape of one method's implementation, by kind, as in connect-es. */
export type MethodImpl<M> = M extends { methodKind: "unary" }
  ? (request: In<M>, ctx: CallContext) => Promise<Out<M>>
  : M extends { methodKind: "server_streaming" }
    ? (request: In<M>, ctx: CallContext) => AsyncIterable<Out<M>>
    : M extends { methodKind: "client_streaming" }
      ? (requests: AsyncIterable<In<M>>, ctx: CallContext) => Promise<Out<M>>
      : M extends { methodKind: "bidi_streaming" }
        ? (requests: AsyncIterable<In<M>>, ctx: CallContext) => AsyncIterable<Out<M>>
        : never;

/**
 * An implementation of a generated service. Methods left out answer
 * UNIMPLEMENTED, so a service can be served before all of it is built.
 */
export type ServiceImpl<S extends GenService<GenServiceMethods>> = {
  [K in keyof S["method"]]?: MethodImpl<S["method"][K]>;
};
