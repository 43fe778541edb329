import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { fromProto, toJsonFormat } from "@meshstream/cloudevents";
import { FetchRequestSchema, FetchResponseSchema, SubscribeRequestSchema, SubscribeResponseSchema, SubscribeService, type CloudEvent as CloudEventProto } from "@meshstream/proto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { OpenCalls } from "./call-context";
import { checkParameters, filterOf, filterParameters, maxOf, startOf, waitOf, type Query } from "./event-query";
import { negotiate } from "./media-type";
import { httpProblem, HttpProblemError, problemOf } from "./problem";
import { methodOf, type Services } from "./services";

export interface SubscribeRouteOptions {
  /** How often an idle event stream gets a comment line, so that proxies do not close it. */
  readonly heartbeatMs: number;
  /** The reconnection delay told to EventSource clients. */
  readonly retryMs: number;
}

const sseParameters = new Set([...filterParameters, "start", "after"]);
const pullParameters = new Set([...filterParameters, "cursor", "max", "wait"]);

/** The structured CloudEvent (JSON format) a consumer receives over HTTP. */
const jsonEvent = (event: CloudEventProto | undefined) => toJsonFormat(fromProto(event!));

/**
 * GET /events: Server-Sent Events (Subscribe) for `Accept: text/event-stream`,
 * a page of events (Fetch, long-polling) for `Accept: application/json`,
 * both on the SubscribeService object gRPC calls.
 */
export function subscribeRoutes(app: FastifyInstance, services: Services, calls: OpenCalls, options: SubscribeRouteOptions): void {
  app.get<{ Querystring: Query }>("/events", async (request, reply) => {
    const accepted = negotiate(request.headers.accept, ["application/json", "text/event-stream"]);
    if (accepted === "text/event-stream") return eventStream(request, reply);
    if (accepted === "application/json") return page(request, reply);
    throw new HttpProblemError(httpProblem("not-acceptable", 406, "Not Acceptable", "GET /events answers text/event-stream (a subscription) or application/json (a page)"));
  });

  const page = async (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) => {
    const query = request.query;
    checkParameters(query, pullParameters);
    const req = create(FetchRequestSchema, { filter: filterOf(query), cursor: String(query.cursor ?? ""), maxEvents: maxOf(query), wait: waitOf(query) });
    const { ctx, release } = calls.open(request, reply, `${SubscribeService.typeName}/Fetch`);
    try {
      const out = create(FetchResponseSchema, await methodOf(services.subscribe, "fetch", SubscribeService)(req, ctx));
      return reply.send({ deliveries: out.deliveries.map((d) => ({ position: d.position, event: jsonEvent(d.event) })), nextCursor: out.nextCursor });
    } finally {
      release();
    }
  };

  /**
   * The response starts once the subscription is positioned (the service
   * calls sendHeader), so a refusal before that (an unknown type, a bad
   * position) is still a problem document with its status. Each event is
   * `id: <position>`, `event: <type>`, `data: <structured CloudEvent>`;
   * the next one is read from the channel only once the socket has taken
   * this one ('drain'), as gRPC does.
   */
  const eventStream = async (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) => {
    const query = request.query;
    checkParameters(query, sseParameters);
    const lastEventId = request.headers["last-event-id"];
    const req = create(SubscribeRequestSchema, { filter: filterOf(query), start: startOf(query, typeof lastEventId === "string" ? lastEventId : undefined) });
    const res = reply.raw;
    let started = false;
    const start = () => {
      if (started || res.destroyed) return;
      started = true;
      reply.hijack();
      res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" });
      res.write(`retry: ${options.retryMs}\n\n`);
    };
    const { ctx, release } = calls.open(request, reply, `${SubscribeService.typeName}/Subscribe`, start);
    const heartbeat = setInterval(() => started && !res.writableNeedDrain && res.write(": heartbeat\n\n"), options.heartbeatMs);
    try {
      for await (const out of methodOf(services.subscribe, "subscribe", SubscribeService)(req, ctx)) {
        start();
        const { delivery } = create(SubscribeResponseSchema, out);
        const event = delivery!.event!;
        const frame = `id: ${delivery!.position}\nevent: ${event.type.replace(/[\r\n]/g, "")}\ndata: ${JSON.stringify(jsonEvent(event))}\n\n`;
        if (!res.write(frame)) await drained(res, ctx.signal);
        if (ctx.signal.aborted) break;
      }
      // Ended before it was positioned: the client left or the server is stopping.
      if (!started) throw ctx.signal.reason ?? new Error("the subscription ended before it started");
    } catch (err) {
      if (!started) throw err;
      // Too late for a status: the stream says why it ends, then ends; EventSource reconnects from its last id.
      if (!ctx.signal.aborted && !res.destroyed) res.write(`event: problem\ndata: ${JSON.stringify(problemOf(err))}\n\n`);
    } finally {
      clearInterval(heartbeat);
      release();
      if (started && !res.destroyed) res.end();
    }
    return reply;
  };
}

function drained(res: ServerResponse | Http2ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
