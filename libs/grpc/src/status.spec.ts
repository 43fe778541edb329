import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { status as Code } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@meshstream/proto";
import { CallError, isDomainError, toStatusObject } from "./status";

describe("toStatusObject", () => {
  it("carries code, message and BadRequest field violations in grpc-status-details-bin", () => {
    const err = new CallError("invalid_argument", "#Identity.Age: invalid value 140 (out of bound <130)", [
      { field: "Age", description: "#Identity.Age: invalid value 140 (out of bound <130)" },
    ]);
    const s = toStatusObject(err);
    expect(s.code).toBe(Code.INVALID_ARGUMENT);
    expect(s.details).toBe("#Identity.Age: invalid value 140 (out of bound <130)");
    const [bin] = s.metadata!.get("grpc-status-details-bin") as Buffer[];
    const rpc = fromBinary(StatusSchema, bin!);
    expect(rpc.code).toBe(Code.INVALID_ARGUMENT);
    const badRequest = anyUnpack(rpc.details[0]!, BadRequestSchema);
    expect(badRequest?.fieldViolations.map((v) => v.field)).toEqual(["Age"]);
  });

  it("maps a plain domain error by its string code", () => {
    const notFound = Object.assign(new Error("event type x not found"), { code: "not_found" });
    expect(isDomainError(notFound)).toBe(true);
    expect(toStatusObject(notFound)).toMatchObject({ code: Code.NOT_FOUND, details: "event type x not found" });
  });

  it("carries DATA_LOSS with where to resume in a google.rpc.ErrorInfo detail", () => {
    const lost = Object.assign(new Error("events 3 to 9 of t partition 0 are no longer stored"), {
      code: "data_loss",
      info: { reason: "DATA_LOSS", metadata: { position: "W1sidCIsIjEwIl1d" } },
    });
    const s = toStatusObject(lost);
    expect(s).toMatchObject({ code: Code.DATA_LOSS, details: "events 3 to 9 of t partition 0 are no longer stored" });
    const rpc = fromBinary(StatusSchema, (s.metadata!.get("grpc-status-details-bin") as Buffer[])[0]!);
    expect(anyUnpack(rpc.details[0]!, ErrorInfoSchema)).toMatchObject({ reason: "DATA_LOSS", domain: "meshstream", metadata: { position: "W1sidCIsIjEwIl1d" } });
  });

  it("hides the text of unexpected errors behind INTERNAL", () => {
    const sysErr = Object.assign(new Error("ECONNREFUSED 10.0.0.1:9092"), { code: "ECONNREFUSED" });
    expect(toStatusObject(sysErr)).toMatchObject({ code: Code.INTERNAL, details: "internal error" });
    expect(toStatusObject("boom")).toMatchObject({ code: Code.INTERNAL });
  });
});
