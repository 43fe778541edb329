import * as grpc from "@grpc/grpc-js";

type Call = grpc.ServerInterceptingCallInterface;

/** Messages of one call that may be in HTTP/2's hands at once. */
export const writeWindow = 16;

/**
 * Lets a call hand HTTP/2 up to `window` messages before the first is
 * written out. grpc-js passes a stream's messages on one at a time, each
 * after the previous one reached the socket: a socket write, an HTTP/2 frame
 * and a trip through the event loop per message, the largest cost of a
 * subscriber reading fast (a hundred laggards). With a window, the messages
 * queued meanwhile go out together in one write. Backpressure holds: the
 * handler is told to wait once `window` messages are not yet written, so a
 * call buffers at most that many more than before.
 *
 * The innermost interceptor (first in the server's list): it wraps grpc-js's
 * own call, which writes every message it is given in order.
 */
export function writeWindowInterceptor(window = writeWindow): grpc.ServerInterceptor {
  // grpc-js's type asks for its own class: it passes everything through to ours.
  return (_descriptor, call) => new grpc.ServerInterceptingCall(new WindowedCall(call, window));
}

class WindowedCall implements Call {
  private unwritten = 0;
  /** The caller's callback held back while the window is full. */
  private held?: () => void;

  constructor(
    private readonly call: Call,
    private readonly window: number,
  ) {}

  sendMessage(message: unknown, callback: () => void): void {
    this.unwritten++;
    this.call.sendMessage(message, () => {
      this.unwritten--;
      const held = this.held;
      this.held = undefined;
      held?.();
    });
    if (this.unwritten < this.window) callback();
    else this.held = callback;
  }

  start(listener: Parameters<Call["start"]>[0]): void {
    this.call.start(listener);
  }
  sendMetadata(metadata: grpc.Metadata): void {
    this.call.sendMetadata(metadata);
  }
  sendStatus(status: Parameters<Call["sendStatus"]>[0]): void {
    this.call.sendStatus(status);
  }
  startRead(): void {
    this.call.startRead();
  }
  getPeer(): string {
    return this.call.getPeer();
  }
  getDeadline(): grpc.Deadline {
    return this.call.getDeadline();
  }
  getHost(): string {
    return this.call.getHost();
  }
  getAuthContext(): ReturnType<Call["getAuthContext"]> {
    return this.call.getAuthContext();
  }
  getConnectionInfo(): ReturnType<Call["getConnectionInfo"]> {
    return this.call.getConnectionInfo();
  }
  getMetricsRecorder(): ReturnType<Call["getMetricsRecorder"]> {
    return this.call.getMetricsRecorder();
  }
}
