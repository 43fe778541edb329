import type { CloudEvent } from "./cloud-event";
import { fromBinaryMode } from "./http-binding";
import { fromJsonFormat, InvalidEnvelopeError, toJsonFormat } from "./json-format";

const event: CloudEvent = {
  specversion: "1.0",
  id: "e-1",
  source: "/people",
  type: "MySource:newPerson",
  time: "2026-11-23T10:00:00.000Z",
  datacontenttype: "application/json",
  dataschema: "meshstream:schema/MySource%3AnewPerson/1",
  extensions: { partitionkey: "k" },
  data: Buffer.from('{"first":"John","Age":40}'),
};

describe("CloudEvents JSON format", () => {
  it("inlines JSON data and puts extensions at the top level", () => {
    expect(toJsonFormat(event)).toEqual({
      specversion: "1.0", id: "e-1", source: "/people", type: "MySource:newPerson", time: "2026-11-23T10:00:00.000Z",
      datacontenttype: "application/json", dataschema: "meshstream:schema/MySource%3AnewPerson/1", partitionkey: "k", data: { first: "John", Age: 40 },
    });
  });

  it("carries other data, and JSON that does not parse, as data_base64", () => {
    expect(toJsonFormat({ ...event, datacontenttype: "application/octet-stream", data: Buffer.from([1, 2]) }).data_base64).toBe("AQI=");
    expect(toJsonFormat({ ...event, data: Buffer.from("{nope") }).data_base64).toBe(Buffer.from("{nope").toString("base64"));
  });

  it("reads what it writes", () => {
    const back = fromJsonFormat(JSON.parse(JSON.stringify(toJsonFormat(event))));
    expect({ ...back, data: Buffer.from(back.data!).toString() }).toEqual({ ...event, data: '{"first":"John","Age":40}' });
  });

  it("keeps extensions of other JSON types in their string form, and reads data_base64", () => {
    const e = fromJsonFormat({ type: "t", count: 3, flag: true, data_base64: Buffer.from('{"a":1}').toString("base64") });
    expect(e.extensions).toEqual({ count: "3", flag: "true" });
    expect(Buffer.from(e.data!).toString()).toBe('{"a":1}');
  });

  it("names every member that is not of its type", () => {
    const err = (() => {
      try {
        fromJsonFormat({ type: 5, nested: {}, data: {}, data_base64: "" }, "[2]");
      } catch (e) {
        return e as InvalidEnvelopeError;
      }
    })()!;
    expect(err).toBeInstanceOf(InvalidEnvelopeError);
    expect(err.violations.map((v) => v.field)).toEqual(["[2].type", "[2].nested", "[2].data"]);
    expect(() => fromJsonFormat([1])).toThrow(/must be a JSON object/);
  });
});

describe("CloudEvents HTTP binding, binary mode", () => {
  it("reads ce-* headers, percent-decoded, content-type as datacontenttype, the rest as extensions", () => {
    const e = fromBinaryMode({ "ce-type": "MySource:newPerson", "ce-source": "/caf%C3%A9", "ce-partitionkey": "k", "content-type": "application/json", host: "x" }, Buffer.from("{}"));
    expect(e).toEqual({ type: "MySource:newPerson", source: "/café", datacontenttype: "application/json", extensions: { partitionkey: "k" }, data: Buffer.from("{}") });
  });

  it("keeps a value that does not decode as it came", () => {
    expect(fromBinaryMode({ "ce-subject": "100%" }, undefined).subject).toBe("100%");
  });
});
