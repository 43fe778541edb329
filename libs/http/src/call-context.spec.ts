import { EventEmitter } from "node:events";
import { CallError } from "@meshstream/grpc";
import type { FastifyReply, FastifyRequest } from "fastify";
import { callerOf, OpenCalls, setCaller } from "./call-context";

/** The parts of a Fastify request and reply that OpenCalls reads: a request the hook authenticated, a reply whose socket can close. */
function exchange() {
  const request = { method: "POST", url: "/events/t", headers: {}, ip: "127.0.0.1", socket: { remotePort: 4000 }, raw: { socket: {} } } as unknown as FastifyRequest;
  setCaller(request, { id: "alice", roles: [] } as never);
  const raw = Object.assign(new EventEmitter(), { writableFinished: false });
  return { request, reply: { raw } as unknown as FastifyReply, raw };
}

describe("OpenCalls", () => {
  it("aborts a call's signal at shutdown, whether its handler asked for the signal before or after", () => {
    const calls = new OpenCalls();
    const early = exchange();
    const late = exchange();
    const asked = calls.open(early.request, early.reply, "m").ctx.signal;
    const { ctx } = calls.open(late.request, late.reply, "m");
    calls.abortAll(new CallError("unavailable", "shutting down"));
    for (const signal of [asked, ctx.signal]) {
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: "unavailable", message: "shutting down" });
    }
  });

  it("aborts with CANCELLED when the client goes away before the answer is complete, and not once the call is released", () => {
    const calls = new OpenCalls();
    const gone = exchange();
    const { ctx } = calls.open(gone.request, gone.reply, "m");
    gone.raw.emit("close");
    expect(ctx.signal.reason).toMatchObject({ code: "cancelled" });
    const done = exchange();
    const finished = calls.open(done.request, done.reply, "m");
    finished.release();
    done.raw.emit("close");
    calls.abortAll(new CallError("unavailable", "shutting down"));
    expect(finished.ctx.signal.aborted).toBe(false);
    expect(calls.size).toBe(1);
  });

  it("takes the caller once: a second look fails closed, as for a request the hook never saw", () => {
    const { request } = exchange();
    expect(callerOf(request)).toMatchObject({ id: "alice" });
    expect(() => callerOf(request)).toThrow(/not authenticated/);
  });
});
