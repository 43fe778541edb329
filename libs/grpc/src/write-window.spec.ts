import type * as grpc from "@grpc/grpc-js";
import { writeWindowInterceptor } from "./write-window";

/** grpc-js's own call as far as the window sees it: it records what it is handed and completes writes when told. */
function innerCall() {
  const sent: unknown[] = [];
  const pending: (() => void)[] = [];
  const call = {
    sendMetadata: () => undefined,
    sendMessage: (message: unknown, written: () => void) => {
      sent.push(message);
      pending.push(written);
    },
  } as unknown as grpc.ServerInterceptingCallInterface;
  return { call, sent, writeOne: () => pending.shift()!() };
}

describe("write window", () => {
  it("hands on messages in order without waiting for each to be written, and holds the caller once the window is full", () => {
    const inner = innerCall();
    const call = writeWindowInterceptor(3)({} as never, inner.call);
    const ready: number[] = [];
    call.sendMessage("a", () => ready.push(1));
    call.sendMessage("b", () => ready.push(2));
    expect(ready).toEqual([1, 2]);
    call.sendMessage("c", () => ready.push(3));
    // Three unwritten: the caller waits.
    expect(inner.sent).toEqual(["a", "b", "c"]);
    expect(ready).toEqual([1, 2]);
    inner.writeOne();
    expect(ready).toEqual([1, 2, 3]);
    call.sendMessage("d", () => ready.push(4));
    expect(ready).toEqual([1, 2, 3]);
    inner.writeOne();
    inner.writeOne();
    inner.writeOne();
    expect(ready).toEqual([1, 2, 3, 4]);
    expect(inner.sent).toEqual(["a", "b", "c", "d"]);
  });

  it("with a window of one, is grpc-js's own pace: each message once the previous was written", () => {
    const inner = innerCall();
    const call = writeWindowInterceptor(1)({} as never, inner.call);
    const ready: string[] = [];
    call.sendMessage("a", () => ready.push("a"));
    expect(ready).toEqual([]);
    inner.writeOne();
    expect(ready).toEqual(["a"]);
  });
});
