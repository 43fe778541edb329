import { create, toBinary } from "@bufbuild/protobuf";
import { PublishStreamResponseSchema } from "@meshstream/proto";
import fc from "fast-check";
import { receiptResponseBytes } from "./receipt-response";

const reference = (sequence: bigint, receipt: { id: string; position: string; dataschema: string }) =>
  Buffer.from(toBinary(PublishStreamResponseSchema, create(PublishStreamResponseSchema, { sequence, result: { result: { case: "receipt", value: receipt } } }))).toString("hex");

describe("receiptResponseBytes", () => {
  it("gives toBinary's bytes for a receipt as ingest makes it", () => {
    const receipt = { id: "0f8e2f5c-6f5e-4c43-9d0e-6a3b1f2c9a10", position: "AAEAAAAAAAAAAQ", dataschema: "meshstream:schema/MySource%3AnewPerson/1" };
    for (const sequence of [0n, 1n, 127n, 128n, 300n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 64n - 1n]) expect(receiptResponseBytes(sequence, receipt).toString("hex")).toBe(reference(sequence, receipt));
  });

  it("gives toBinary's bytes for any sequence and receipt (property), empty and long fields, any text, included", () => {
    const text = fc.oneof(fc.constant(""), fc.string(), fc.string({ unit: "grapheme" }), fc.string({ minLength: 120, maxLength: 400 }));
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 100_000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), fc.record({ id: text, position: text, dataschema: text }), (sequence, receipt) => {
        expect(receiptResponseBytes(sequence, receipt).toString("hex")).toBe(reference(sequence, receipt));
      }),
      { numRuns: 5000 },
    );
  });
});
