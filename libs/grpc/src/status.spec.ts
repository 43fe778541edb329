import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { status as Code } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@meshstream/proto";
import { CallError, isDomainError, maxStatusBytes, toStatusObject } from "./status";

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

describe("bounded statuses", () => {
  const trailers = (s: ReturnType<typeof toStatusObject>) => encodeURI(s.details).length + ((s.metadata!.get("grpc-status-details-bin")[0] as Buffer | undefined)?.toString("base64").length ?? 0);

  it("cuts a megabyte-long value in the message and the violations to 200 characters, under 4 KB in all", () => {
    const huge = "a".repeat(1_000_000);
    const text = `#T.s: invalid value "${huge}" (does not match =~"^[A-Z]")`;
    const s = toStatusObject(new CallError("invalid_argument", text, [{ field: `s.${huge}`, description: text }]));
    expect(s.code).toBe(Code.INVALID_ARGUMENT);
    expect(s.details).toBe(`#T.s: invalid value "${"a".repeat(200)}…" (does not match =~"^[A-Z]")`);
    expect(trailers(s)).toBeLessThan(maxStatusBytes);
    const rpc = fromBinary(StatusSchema, s.metadata!.get("grpc-status-details-bin")[0] as Buffer);
    expect(anyUnpack(rpc.details[0]!, BadRequestSchema)?.fieldViolations[0]?.description).toBe(s.details);
  });

  it("drops violations from the end, and shortens a non-ASCII message, until the status fits", () => {
    const violations = Array.from({ length: 5000 }, (_, i) => ({ field: `f${i}`, description: `#T.f${i}: conflicting values ${"x".repeat(150)} and int` }));
    const s = toStatusObject(new CallError("invalid_argument", "many", violations));
    expect(trailers(s)).toBeLessThanOrEqual(maxStatusBytes);
    const kept = anyUnpack(fromBinary(StatusSchema, s.metadata!.get("grpc-status-details-bin")[0] as Buffer).details[0]!, BadRequestSchema)!.fieldViolations;
    expect(kept.length).toBeGreaterThan(5);
    expect(kept[0]?.field).toBe("f0");
    const cjk = toStatusObject(new CallError("not_found", "型 ".repeat(2000)));
    expect(trailers(cjk)).toBeLessThanOrEqual(maxStatusBytes);
    expect(cjk.details.startsWith("型 型")).toBe(true);
  });
});
