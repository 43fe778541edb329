import { create } from "@bufbuild/protobuf";
import { CallError, toRpcStatus } from "@meshstream/grpc";
import { StatusSchema } from "@meshstream/proto";
import { httpProblem, HttpProblemError, problemOf, problemOfStatus } from "./problem";

describe("problems (RFC 9457)", () => {
  it("keeps a domain error's message and violations, with the status of its code", () => {
    const err = new CallError("invalid_argument", "#Identity.Age: invalid value 140 (out of bound <130)", [{ field: "Age", description: "#Identity.Age: invalid value 140 (out of bound <130)" }]);
    expect(problemOf(err)).toEqual({
      type: "urn:meshstream:problem:invalid-argument",
      title: "Bad Request",
      status: 400,
      detail: "#Identity.Age: invalid value 140 (out of bound <130)",
      violations: [{ field: "Age", description: "#Identity.Age: invalid value 140 (out of bound <130)" }],
    });
  });

  it.each([
    ["not_found", 404],
    ["already_exists", 409],
    ["failed_precondition", 409],
    ["resource_exhausted", 429],
    ["unavailable", 503],
    ["unimplemented", 501],
    ["internal", 500],
  ])("answers %s with %i", (code, status) => {
    expect(problemOf(new CallError(code as never, "m"))).toMatchObject({ status, type: `urn:meshstream:problem:${code.replace("_", "-")}` });
  });

  it.each([
    [16, 401],
    [7, 403],
    [14, 503],
  ])("answers a google.rpc.Status of code %i with %i", (code, status) => {
    expect(problemOfStatus(create(StatusSchema, { code, message: "m" })).status).toBe(status);
  });

  it("hides the text of an error that is not a domain error", () => {
    expect(problemOf(new Error("secret at /srv/db"))).toMatchObject({ status: 500, detail: "internal error" });
  });

  it("reads a batch result's google.rpc.Status, violations included", () => {
    const status = toRpcStatus(new CallError("invalid_argument", "bad", [{ field: "Age", description: "too old" }]));
    expect(problemOfStatus(status)).toMatchObject({ status: 400, detail: "bad", violations: [{ field: "Age", description: "too old" }] });
  });

  it("passes the HTTP layer's own problems through", () => {
    const p = httpProblem("unsupported-media-type", 415, "Unsupported Media Type", "send JSON");
    expect(problemOf(new HttpProblemError(p))).toBe(p);
  });
});
