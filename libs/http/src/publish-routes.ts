import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { fromBinaryMode, fromJsonFormat, type IncomingEvent } from "@meshstream/cloudevents";
import { CallError } from "@meshstream/grpc";
import { EventInputSchema, IngestService, PublishBatchRequestSchema, PublishBatchResponseSchema, PublishRequestSchema, type EventInput } from "@meshstream/proto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { OpenCalls } from "./call-context";
import { isJsonMediaType, mediaTypeOf, unsupportedMediaType } from "./media-type";
import { problemOf, problemOfStatus, type Problem } from "./problem";
import { methodOf, type Services } from "./services";

const structured = "application/cloudevents+json";
const batch = "application/cloudevents-batch+json";

/**
 * CloudEvents HTTP protocol binding v1.0.2 on POST /events (structured,
 * binary and batch modes) and the plain form POST /events/{type}. Each
 * request becomes IngestService Publish or PublishBatch on the service object
 * gRPC calls, so validation, completion and storage are the same code.
 */
export function publishRoutes(app: FastifyInstance, services: Services, calls: OpenCalls): void {
  const publish = async (request: FastifyRequest, reply: FastifyReply, event: EventInput) => {
    const { ctx, release } = calls.open(request, reply, `${IngestService.typeName}/Publish`);
    try {
      const { receipt } = await methodOf(services.ingest, "publish", IngestService)(create(PublishRequestSchema, { event }), ctx);
      return reply.code(202).send(receipt);
    } finally {
      release();
    }
  };

  /** 202 when every event was stored, 207 when some were refused: a result per event, in order. */
  const publishBatch = async (request: FastifyRequest, reply: FastifyReply, events: unknown) => {
    if (!Array.isArray(events)) throw new CallError("invalid_argument", "a batch must be a JSON array of CloudEvents", [{ field: "body", description: "a JSON array" }]);
    // An event whose envelope is refused here never reaches the service; the rest go in one PublishBatch.
    const inputs = events.map((e, i): EventInput | Problem => {
      try {
        return eventInputOf(fromJsonFormat(e, `[${i}]`), `[${i}].type`);
      } catch (err) {
        return problemOf(err);
      }
    });
    const valid = inputs.filter((x): x is EventInput => "$typeName" in x);
    const { ctx, release } = calls.open(request, reply, `${IngestService.typeName}/PublishBatch`);
    let results;
    try {
      const call = methodOf(services.ingest, "publishBatch", IngestService);
      ({ results } = create(PublishBatchResponseSchema, await call(create(PublishBatchRequestSchema, { events: valid }), ctx)));
    } finally {
      release();
    }
    let next = 0;
    const answers = inputs.map((input) => {
      if (!("$typeName" in input)) return { status: input.status, problem: input };
      const r = results[next++]?.result;
      if (r?.case === "receipt") return { status: 202, receipt: r.value };
      const problem = r?.case === "error" ? problemOfStatus(r.value) : problemOf(new Error("no result for an event"));
      return { status: problem.status, problem };
    });
    return reply.code(answers.every((a) => a.status === 202) ? 202 : 207).send({ results: answers });
  };

  app.post("/events", async (request, reply) => {
    const contentType = mediaTypeOf(request.headers["content-type"]);
    const body = request.body as Buffer | undefined;
    if (contentType === structured) return publish(request, reply, eventInputOf(fromJsonFormat(parseJson(body)), "type"));
    if (contentType === batch) return publishBatch(request, reply, parseJson(body));
    if (contentType.startsWith("application/cloudevents")) throw unsupportedMediaType(contentType, `${structured} or ${batch} (the JSON event format)`);
    if (!isJsonMediaType(contentType)) {
      throw unsupportedMediaType(request.headers["content-type"], `${structured}, ${batch}, or the event data as application/json with a ce-type header`);
    }
    return publish(request, reply, eventInputOf(fromBinaryMode(request.headers, body), "ce-type"));
  });

  app.post<{ Params: { type: string } }>("/events/:type", async (request, reply) => {
    if (!isJsonMediaType(mediaTypeOf(request.headers["content-type"]))) throw unsupportedMediaType(request.headers["content-type"], "the event data as application/json");
    const incoming = fromBinaryMode(request.headers, request.body as Buffer | undefined);
    const { type } = request.params;
    if (incoming.type !== undefined && incoming.type !== type) {
      throw new CallError("invalid_argument", `ce-type ${incoming.type} differs from the type in the path, ${type}`, [{ field: "ce-type", description: "absent, or the type in the path" }]);
    }
    return publish(request, reply, eventInputOf({ ...incoming, type }, "type"));
  });
}

/** A body that must be JSON (structured and batch modes); binary mode's data goes to validation as bytes, as on gRPC. */
function parseJson(body: Buffer | undefined): unknown {
  if (!body || body.length === 0) throw new CallError("invalid_argument", "the request body is empty", [{ field: "body", description: "a JSON document" }]);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new CallError("invalid_argument", `malformed JSON: ${(err as Error).message}`, [{ field: "body", description: "well-formed JSON" }]);
  }
}

/** What the producer sent → the EventInput the service takes; the service fills id, source and time when absent. */
function eventInputOf(e: IncomingEvent, typeField: string): EventInput {
  if (e.specversion !== undefined && e.specversion !== "1.0") {
    throw new CallError("invalid_argument", `specversion ${e.specversion} is not supported: 1.0 only`, [{ field: "specversion", description: "1.0" }]);
  }
  if (!e.type) throw new CallError("invalid_argument", `the event type is required (${typeField})`, [{ field: typeField, description: "required" }]);
  if (e.datacontenttype !== undefined && !isJsonMediaType(mediaTypeOf(e.datacontenttype))) {
    throw unsupportedMediaType(e.datacontenttype, "JSON event data (schemas are CUE over JSON)");
  }
  if (e.data === undefined) throw new CallError("invalid_argument", "the event has no data", [{ field: "data", description: "required" }]);
  let time;
  if (e.time !== undefined) {
    const t = new Date(e.time);
    if (Number.isNaN(t.getTime())) throw new CallError("invalid_argument", `time ${e.time} is not an RFC 3339 timestamp`, [{ field: "time", description: "RFC 3339" }]);
    time = timestampFromDate(t);
  }
  return create(EventInputSchema, {
    type: e.type,
    id: e.id ?? "",
    source: e.source ?? "",
    subject: e.subject ?? "",
    time,
    extensions: { ...e.extensions },
    payload: { case: "dataJson", value: e.data },
  });
}
