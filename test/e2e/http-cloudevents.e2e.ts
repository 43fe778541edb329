import { CloudEvent, emitterFor, HTTP, httpTransport, Mode } from "cloudevents";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { openEventStream } from "../harness/sse-client";

const type = "MySource:newPerson";

describe("the CloudEvents JS SDK against the HTTP face", () => {
  let platform: InProcessPlatform;
  const sent: CloudEvent<{ first: string; Last: string }>[] = [];

  beforeAll(async () => {
    platform = await startInProcessPlatform();
  });
  afterAll(async () => {
    await platform?.close();
  });

  const event = (n: number) => new CloudEvent({ type, source: `/sdk/${n}`, subject: `s${n}`, partitionkey: `k${n}`, data: { first: "Ann", Last: `Lee${n}` } });
  const receiptOf = (r: unknown) => JSON.parse((r as { body: string }).body) as { id: string; position: string };

  it("publishes in structured and binary mode with the SDK's HTTP emitter", async () => {
    for (const mode of [Mode.STRUCTURED, Mode.BINARY]) {
      const e = event(sent.length);
      const emit = emitterFor(httpTransport(`${platform.httpUrl}/events`), { mode });
      expect(receiptOf(await emit(e)).id).toBe(e.id);
      sent.push(e);
    }
  });

  it("publishes a batch (the SDK's events, its HTTP transport, the batch content type) with a result per event", async () => {
    // The SDK has no batch serializer: its transport carries the JSON array of its own events.
    const batch = [event(2), event(3)];
    const response = (await httpTransport(`${platform.httpUrl}/events`)({ headers: { "content-type": "application/cloudevents-batch+json" }, body: JSON.stringify(batch) })) as { body: string };
    const { results } = JSON.parse(response.body) as { results: { status: number; receipt: { id: string } }[] };
    expect(results.map((r) => [r.status, r.receipt.id])).toEqual(batch.map((e) => [202, e.id]));
    sent.push(...batch);
  });

  const expectSame = (got: CloudEvent<unknown>, want: CloudEvent<unknown>) => {
    expect({ id: got.id, type: got.type, source: got.source, subject: got.subject, time: got.time, data: got.data, partitionkey: got.partitionkey }).toEqual({
      id: want.id,
      type: want.type,
      source: want.source,
      subject: want.subject,
      time: want.time,
      data: want.data,
      partitionkey: want.partitionkey,
    });
  };

  it("gives the SDK's HTTP.toEvent what it parses back, over Server-Sent Events", async () => {
    const stream = openEventStream(`${platform.httpUrl}/events?type=${type}&start=earliest`);
    try {
      const messages = await stream.first(sent.length);
      messages.forEach((m, i) => {
        expect(m.event).toBe(type);
        const got = HTTP.toEvent({ headers: { "content-type": "application/cloudevents+json" }, body: m.data }) as CloudEvent<unknown>;
        expectSame(got, sent[i]!);
      });
    } finally {
      stream.close();
    }
  });

  it("and over a pulled page", async () => {
    const page = (await (await fetch(`${platform.httpUrl}/events?type=${type}`, { headers: { accept: "application/json" } })).json()) as { deliveries: { event: unknown }[] };
    expect(page.deliveries).toHaveLength(sent.length);
    page.deliveries.forEach((d, i) => expectSame(HTTP.toEvent({ headers: { "content-type": "application/cloudevents+json" }, body: JSON.stringify(d.event) }) as CloudEvent<unknown>, sent[i]!));
  });
});
