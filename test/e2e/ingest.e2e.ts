import { join } from "node:path";
import { descriptorSetPath } from "@meshstream/proto";
import { run } from "../harness/run";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { toolPath } from "../harness/tool-paths";

describe("IngestService through grpcurl, with the declared people product", () => {
  let platform: RunningPlatform;
  const grpcurl = (method: string, input: string, ...flags: string[]) =>
    run(toolPath("GRPCURL"), ["-plaintext", ...flags, "-d", "@", platform.address, `meshstream.v1.IngestService/${method}`], { input, timeoutMs: 20_000 });
  const person = (data: unknown) => JSON.stringify({ event: { type: "MySource:newPerson", data } });

  beforeAll(async () => {
    platform = await startPlatform({ MESHSTREAM_MAX_EVENT_BYTES: "1024" });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("accepts the seed's good event with an id, a position and its schema", async () => {
    const r = await grpcurl("Publish", person({ first: "John", Last: "Doe", Age: 40 }));
    expect(r.stderr).toBe("");
    const { receipt } = JSON.parse(r.stdout) as { receipt: { id: string; position: string; dataschema: string } };
    expect(receipt.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(receipt.position).not.toBe("");
    expect(receipt.dataschema).toBe("meshstream:schema/MySource%3AnewPerson/1");
  });

  it("refuses Age 140 with INVALID_ARGUMENT, the seed's message and a BadRequest violation on Age", async () => {
    const r = await grpcurl("Publish", person({ first: "John", Last: "Doe", Age: 140 }), "-format-error");
    expect(r.code).not.toBe(0);
    const status = JSON.parse(r.stderr) as { code: number; message: string; details: { fieldViolations: { field: string; description: string }[] }[] };
    expect(status.code).toBe(3);
    expect(status.message).toBe("#Identity.Age: invalid value 140 (out of bound <130)");
    expect(status.details[0]!.fieldViolations).toEqual([{ field: "Age", description: "#Identity.Age: invalid value 140 (out of bound <130)" }]);
  });

  it.each([
    ["an unknown type", JSON.stringify({ event: { type: "Nope", data: {} } }), "NotFound", /event type Nope not found/],
    ["data that is not JSON", JSON.stringify({ event: { type: "MySource:newPerson", dataJson: Buffer.from("{first:").toString("base64") } }), "InvalidArgument", /invalid JSON/],
    ["data that is not an object", JSON.stringify({ event: { type: "MySource:newPerson", dataJson: Buffer.from("[1,2]").toString("base64") } }), "InvalidArgument", /conflicting values/],
    ["an event over the size limit", person({ first: "John", Last: "Doe", pad: "x".repeat(2000) }), "InvalidArgument", /larger than the limit of 1024 bytes/],
    ["a CloudEvent missing required attributes", JSON.stringify({ event: { cloudEvent: { id: "x" } } }), "InvalidArgument", /missing required attributes: source, specversion, type/],
  ])("answers %s with its status", async (_what, input, code, message) => {
    const r = await grpcurl("Publish", input);
    expect(r.stderr).toContain(`Code: ${code}`);
    expect(r.stderr).toMatch(message);
  });

  it("answers every PublishBatch event with its own result, in order", async () => {
    const body = JSON.stringify({ events: [{ type: "MySource:newPerson", data: { first: "Ann", Last: "Lee" } }, { type: "MySource:newPerson", data: { first: "x", Last: "Lee" } }, { type: "Nope", data: {} }] });
    const r = await grpcurl("PublishBatch", body);
    expect(r.stderr).toBe("");
    const { results } = JSON.parse(r.stdout) as { results: { receipt?: { id: string }; error?: { code: number; message: string } }[] };
    expect(results).toHaveLength(3);
    expect(results[0]!.receipt?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(results[1]!.error).toMatchObject({ code: 3, message: expect.stringContaining("#Identity.first") });
    expect(results[2]!.error).toMatchObject({ code: 5, message: "event type Nope not found" });
  });

  it("answers every PublishStream request in order, a bad one with its error, and goes on", async () => {
    const requests = [person({ first: "Ann", Last: "Lee" }), person({ first: "bad", Last: "Lee" }), person({ first: "Bob", Last: "Ray", Age: 3 })].join("\n");
    const r = await grpcurl("PublishStream", requests);
    expect(r.code).toBe(0);
    const responses = r.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((t) => JSON.parse(t) as { sequence?: string; result: { receipt?: { id: string }; error?: { code: number; message: string } } });
    expect(responses.map((x) => x.sequence ?? "0")).toEqual(["0", "1", "2"]);
    expect(responses[0]!.result.receipt?.id).toBeTruthy();
    expect(responses[1]!.result.error).toMatchObject({ code: 3, message: expect.stringContaining("#Identity.first") });
    expect(responses[2]!.result.receipt?.id).toBeTruthy();
  });

  it("takes a PublishStream from a Python grpcio client, answering each event in order", async () => {
    const r = await run(toolPath("PYTHON"), [join(repoRoot, "test/harness/python/publish_stream.py"), platform.address, descriptorSetPath, "200"], { timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { sequence: number; id?: string; error?: string });
    expect(lines.map((l) => l.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (const l of lines) {
      if (l.sequence % 10 === 9) expect(l.error).toBe("#Identity.Age: invalid value 140 (out of bound <130)");
      else expect(l.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
