import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from "node:tls";

/** Called with HTTP/1 objects or their HTTP/2 compatibility twins (Fastify handles both). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

// What every HTTP/2 client sends first (RFC 9113 §3.4); no HTTP/1 request line starts like it.
const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * HTTP/1.1 and cleartext HTTP/2 (h2c, with prior knowledge) on one port.
 * Node serves h2c only on a server of its own, which refuses HTTP/1.1, so a
 * plain TCP server looks at a connection's first bytes and hands the socket
 * to the HTTP/1 or the HTTP/2 server, both calling the same handler.
 *
 * With TLS the TCP server is a TLS server and ALPN decides instead ("h2" or
 * HTTP/1.1). Client certificates are asked for but not required at the
 * handshake, as on gRPC: authentication refuses a request without a verified one.
 */
export class DualServer {
  readonly http1;
  readonly http2;
  readonly tcp: NetServer | TlsServer;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();

  constructor(handler: RequestHandler, tls?: { readonly options: SecureContextOptions; readonly requestCert: boolean }) {
    this.http1 = createHttp1Server(handler);
    this.http2 = createHttp2Server(handler as never);
    this.http2.on("session", (session: Http2Session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
    });
    const accept = (socket: Socket) => {
      // Small messages (SSE events, unary answers) must not wait for the peer's delayed ACK.
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      this.dispatch(socket);
    };
    this.tcp = tls
      ? createTlsServer({ ...tls.options, ALPNProtocols: ["h2", "http/1.1"], requestCert: tls.requestCert, rejectUnauthorized: false }, accept)
      : createNetServer(accept);
  }

  /** New TLS connections use these (certificate rotation); open ones keep theirs. */
  setSecureContext(options: SecureContextOptions): void {
    (this.tcp as TlsServer).setSecureContext(options);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off("error", reject);
        // The HTTP/1 server tracks its connections (request and header time-outs, idle ones to
        // close) from its 'listening' event on; the TCP server listens in its place.
        this.http1.emit("listening");
        resolve((this.tcp.address() as { port: number }).port);
      });
    });
  }

  /** Stops accepting connections and asks open ones to finish: idle HTTP/1 connections close now, HTTP/2 sessions get GOAWAY. */
  stopAccepting(): Promise<void> {
    // Connections whose last answer ends later (a stream the caller ends now) turn idle then:
    // close them as they do rather than wait out their keep-alive.
    const idle = setInterval(() => this.http1.closeIdleConnections(), 50);
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve())).finally(() => clearInterval(idle));
    // Stops its time-out checks and closes its idle connections (it never listened itself, hence the error).
    this.http1.close(() => {});
    for (const s of this.sessions) s.close();
    return closed;
  }

  /** Ends every connection still open. */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
  }

  get connections(): number {
    return this.sockets.size;
  }

  private dispatch(socket: Socket): void {
    const alpn = (socket as Partial<TLSSocket>).alpnProtocol;
    if (alpn !== undefined) {
      if (alpn === "h2") this.http2.emit("connection", socket);
      else this.http1.emit("connection", socket);
      return;
    }
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, preface.length);
      // Two bytes tell "PRI" from every HTTP/1 method ("PATCH", "POST", "PUT" included).
      if (n < 2 && head.equals(preface.subarray(0, n))) return;
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      // Both servers read what is already buffered first: the HTTP/2 session feeds it to its
      // parser itself, the HTTP/1 server once the socket flows again.
      if (head.subarray(0, n).equals(preface.subarray(0, n))) {
        this.http2.emit("connection", socket);
      } else {
        this.http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  }
}
