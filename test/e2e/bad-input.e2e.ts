import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { CatalogService, descriptorSetPath, IngestService, StatusSchema } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { repoRoot } from "../harness/platform";
import { run } from "../harness/run";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const person = { first: "John", Last: "Doe" };

describe("bad input gets a precise, bounded status", () => {
  let dir: string;
  let platform: InProcessPlatform;
  let client: TestClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "meshstream-bad-input-"));
    // Generous: validating a megabyte takes a few hundred milliseconds, and several seconds on a loaded machine;
    // this suite is about the texts, test/e2e/validation-isolation.e2e.ts about the limits.
    platform = await startInProcessPlatform({ MESHSTREAM_DATA_DIR: dir, MESHSTREAM_VALIDATION_TIMEOUT_MS: "30000" });
    client = new TestClient(platform.address);
  });
  afterAll(async () => {
    client?.close();
    await platform?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publishError = (event: Record<string, unknown>) =>
    client.unary(IngestService.method.publish, { event } as never).then(
      () => undefined,
      (e: ServiceError) => e,
    );
  const trailerBytes = (e: ServiceError) =>
    encodeURI(e.details).length + ((e.metadata.get("grpc-status-details-bin")[0] as Buffer | undefined)?.toString("base64").length ?? 0);

  describe("a 1 MB invalid value", () => {
    const size = 1_000_000;

    it("reaches a grpc-js client as INVALID_ARGUMENT with the value cut to 200 characters, under 4 KB of trailers, promptly", async () => {
      const started = Date.now();
      const e = await publishError({ type, payload: { case: "dataJson", value: Buffer.from(JSON.stringify({ ...person, first: "a".repeat(size) })) } });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(e?.code).toBe(Code.INVALID_ARGUMENT);
      expect(e?.details).toMatch(/^#Identity\.first: invalid value "a{200}…" \(/);
      expect(trailerBytes(e!)).toBeLessThan(4096);
      const status = fromBinary(StatusSchema, e!.metadata.get("grpc-status-details-bin")[0] as Buffer);
      expect(status.message).toBe(e?.details);
    });

    it("reaches the Python grpcio client (C core) the same way", async () => {
      const r = await run(toolPath("PYTHON"), [join(repoRoot, "test/harness/python/publish_invalid.py"), platform.address, descriptorSetPath, String(size)], { timeoutMs: 60_000 });
      expect(r.stderr).toBe("");
      const result = JSON.parse(r.stdout) as { code: string; message: string; details_bytes: number; seconds: number };
      expect(result.code).toBe("INVALID_ARGUMENT");
      expect(result.message).toMatch(/^#Identity\.first: invalid value "a{200}…" \(/);
      expect(encodeURI(result.message).length + Math.ceil(result.details_bytes / 3) * 4).toBeLessThan(4096);
      expect(result.seconds).toBeLessThan(10);
    });
  });

  const long = (n: number) => "x".repeat(n);
  it.each([
    ["a type of 10,000 characters", { type: long(10_000) }, /^type is 10000 characters long; the limit is 255$/],
    ["an id of 10,000 characters", { id: long(10_000) }, /^id is 10000 characters long; the limit is 256$/],
    ["a source of 10,000 characters", { source: long(10_000) }, /^source is 10000 characters long; the limit is 1024$/],
    ["a subject of 10,000 characters", { subject: long(10_000) }, /^subject is 10000 characters long; the limit is 1024$/],
    ["an extension value of 10,000 characters", { extensions: { region: long(10_000) } }, /^extensions\.region is 10000 characters long; the limit is 1024$/],
    ["an extension name of 10,000 characters", { extensions: { [long(10_000)]: "v" } }, /^extension attribute names must be 1 to 20 lower-case letters or digits: x{200}…$/],
    ["33 extensions", { extensions: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`e${i}`, "v"])) }, /^33 extension attributes; the limit is 32$/],
    ["a time past year 9999", { time: { seconds: 253402300800n } }, /^time is not a point in time RFC 3339 can write \(years 0 to 9999\)$/],
    ["NaN in Struct data", { payload: { case: "data", value: { ...person, Age: NaN } } }, /^event\.data\.Age is NaN, which is not a JSON number$/],
    ["Infinity in Struct data", { payload: { case: "data", value: { ...person, Age: Infinity } } }, /^event\.data\.Age is Infinity, which is not a JSON number$/],
    ["-Infinity deep in Struct data", { payload: { case: "data", value: { ...person, tags: [1, { x: -Infinity }] } } }, /^event\.data\.tags\[1\]\.x is -Infinity, which is not a JSON number$/],
  ])("Publish answers %s with INVALID_ARGUMENT naming the limit", async (_what, fields, message) => {
    const e = await publishError({ type, payload: { case: "data", value: person }, ...fields });
    expect(e?.code).toBe(Code.INVALID_ARGUMENT);
    expect(e?.details).toMatch(message);
  });

  it("answers a CloudEvent whose time attribute is past year 9999 with INVALID_ARGUMENT", async () => {
    const cloudEvent = { id: "1", source: "/s", specVersion: "1.0", type, attributes: { time: { attr: { case: "ceTimestamp", value: { seconds: 253402300800n } } } } };
    const e = await publishError({ cloudEvent });
    expect(e?.code).toBe(Code.INVALID_ARGUMENT);
    expect(e?.details).toBe("time is not a point in time RFC 3339 can write (years 0 to 9999)");
  });

  it.each([
    ["GetEventType", () => client.unary(CatalogService.method.getEventType, { type: long(10_000) }), /^event type of 10000 characters is longer than the limit of 255 characters$/],
    ["GetDataProduct", () => client.unary(CatalogService.method.getDataProduct, { name: long(10_000) }), /^data product name of 10000 characters is longer than the limit of 63 characters$/],
    ["GetSchemaVersion", () => client.unary(CatalogService.method.getSchemaVersion, { type: long(10_000) }), /longer than the limit of 255 characters$/],
  ])("%s answers a name of 10,000 characters with INVALID_ARGUMENT naming the limit", async (_method, call, message) => {
    const e = (await call().then(() => undefined, (err: ServiceError) => err))!;
    expect(e.code).toBe(Code.INVALID_ARGUMENT);
    expect(e.details).toMatch(message);
  });
});
