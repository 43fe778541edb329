import type { Server as NetServer, Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";

/**
 * Turns Nagle's algorithm off on the connections a bound server accepts, as
 * grpc-js does on its client side but not on its server's: a streamed message
 * smaller than a packet otherwise waits for the peer's delayed ACK (p99
 * store→delivery 253 ms with it, 20 ms without, in test/bench/subscribe).
 * grpc-js keeps its HTTP/2 servers private; returns how many were found, so
 * that a grpc-js upgrade that hides them fails a test instead of slowing down.
 */
export function noDelay(server: grpc.Server): number {
  const http2Servers = (server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers;
  let found = 0;
  for (const s of http2Servers?.keys() ?? []) {
    s.on("connection", (socket: Socket) => socket.setNoDelay(true));
    found++;
  }
  return found;
}
