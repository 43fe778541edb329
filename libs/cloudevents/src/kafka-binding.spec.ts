import { Kafka } from "cloudevents";
import type { CloudEvent } from "./cloud-event";
import { fromKafkaRecord, toKafkaRecord, typeOf } from "./kafka-binding";

const event: CloudEvent = {
  specversion: "1.0",
  id: "e-1",
  source: "/people",
  type: "MySource:newPerson",
  time: "2026-11-23T10:00:00.000Z",
  subject: "john",
  datacontenttype: "application/json",
  dataschema: "meshstream:schema/MySource:newPerson/1",
  extensions: { traceparent: "00-abc-def-01" },
  data: Buffer.from('{"first":"John","Last":"Doe","Age":40}'),
};

describe("Kafka binary binding", () => {
  it("maps attributes to ce_* headers, datacontenttype to content-type, data to the value", () => {
    const r = toKafkaRecord(event);
    expect(r.headers).toMatchObject({
      ce_id: "e-1",
      ce_source: "/people",
      ce_specversion: "1.0",
      ce_type: "MySource:newPerson",
      ce_subject: "john",
      ce_traceparent: "00-abc-def-01",
      "content-type": "application/json",
    });
    expect(r.value!.toString()).toBe('{"first":"John","Last":"Doe","Age":40}');
    expect(typeOf(r.headers)).toBe("MySource:newPerson");
  });

  it("writes the headers the SDK's binding writes, in its order", () => {
    for (const e of [event, { ...event, subject: undefined, dataschema: undefined, extensions: { partitionkey: "k", a1: "x" } }]) {
      const { extensions, data, ...attributes } = e;
      const sdk = Kafka.binary({ ...attributes, ...extensions, data: Buffer.from(data ?? []) } as never);
      const expected = Object.entries(sdk.headers).filter(([, v]) => v !== undefined);
      expect(Object.entries(toKafkaRecord(e).headers)).toEqual(expected.map(([k, v]) => [k, String(v)]));
    }
  });

  it("keys by partitionkey, else by subject", () => {
    expect(toKafkaRecord(event).key).toBe("john");
    expect(toKafkaRecord({ ...event, extensions: { partitionkey: "k" } }).key).toBe("k");
    expect(toKafkaRecord({ ...event, subject: undefined, extensions: {} }).key).toBeNull();
  });

  it("reads back the same event, data byte for byte, with headers as Buffers as kafkajs gives them", () => {
    const r = toKafkaRecord(event);
    const asReceived = { ...r, headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(String(v))])) };
    expect(fromKafkaRecord(asReceived)).toEqual({ ...event, data: new Uint8Array(event.data!) });
  });

  it("reads an event without data", () => {
    const { data: _data, ...noData } = event;
    expect(fromKafkaRecord(toKafkaRecord(noData)).data).toBeUndefined();
  });
});
