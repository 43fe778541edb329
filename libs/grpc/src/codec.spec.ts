import { create, toBinary } from "@bufbuild/protobuf";
import { DeliverySchema } from "@meshstream/proto";
import { serializer, withWireForm } from "./codec";

describe("serializer", () => {
  const encode = serializer(DeliverySchema);

  it("encodes a message or a plain init object", () => {
    const bytes = toBinary(DeliverySchema, create(DeliverySchema, { position: "p" }));
    expect(encode({ position: "p" })).toEqual(Buffer.from(bytes));
    expect(encode(create(DeliverySchema, { position: "p" }))).toEqual(Buffer.from(bytes));
  });

  it("sends a response's wire form as the handler made it, asking for it once per call", () => {
    const made = Uint8Array.from([18, 1, 113]); // position "q": not what the message says, to show whose bytes go out
    const wireForm = jest.fn(() => made);
    const response = withWireForm({ position: "p" }, wireForm);
    expect(encode(response)).toEqual(Buffer.from(made));
    expect(wireForm).toHaveBeenCalledTimes(1);
    // Other transports read the message itself.
    expect(create(DeliverySchema, response).position).toBe("p");
  });
});
