import { create } from "@bufbuild/protobuf";
import { CloudEventSchema } from "@meshstream/proto";
import type { CloudEvent } from "./cloud-event";
import { decodeEvent, encodeEvent, fromProto, MissingAttributesError, toProto } from "./protobuf-format";

const event: CloudEvent = {
  specversion: "1.0",
  id: "e-1",
  source: "/people",
  type: "MySource:newPerson",
  time: "2026-11-23T10:00:00.000Z",
  datacontenttype: "application/json",
  dataschema: "meshstream:schema/MySource:newPerson/1",
  extensions: { partitionkey: "k" },
  data: Buffer.from('{"first":"John"}'),
};

describe("CloudEvents Protobuf format", () => {
  it("carries JSON data as text_data and round-trips every attribute", () => {
    const proto = toProto(event);
    expect(proto.data).toEqual({ case: "textData", value: '{"first":"John"}' });
    expect(proto.attributes.time?.attr.case).toBe("ceTimestamp");
    expect(fromProto(proto)).toEqual({ ...event, data: Buffer.from(event.data!) });
    expect(decodeEvent(encodeEvent(event))).toEqual({ ...event, data: Buffer.from(event.data!) });
  });

  it("carries other content types as binary_data", () => {
    expect(toProto({ ...event, datacontenttype: "application/octet-stream" }).data.case).toBe("binaryData");
  });

  it("names every missing required attribute", () => {
    const err = (() => {
      try {
        fromProto(create(CloudEventSchema, { id: "x" }));
      } catch (e) {
        return e;
      }
    })() as MissingAttributesError;
    expect(err).toBeInstanceOf(MissingAttributesError);
    expect(err.message).toBe("CloudEvent is missing required attributes: source, specversion, type");
    expect(err.violations.map((v) => v.field)).toEqual(["source", "specversion", "type"]);
  });
});
