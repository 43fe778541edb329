import { spawn } from "node:child_process";
import { CueEngine } from "@meshstream/cuelang-wasm";
import { run } from "../harness/run";
import { startPlatform, type RunningPlatform } from "../harness/platform";
import { toolPath } from "../harness/tool-paths";

const orderSchema = `#Order: {
	// order id
	id: =~"^O-[0-9]+$"
	// total in cents
	total: int & >=0
	note?: string
}
`;

describe("CatalogService through grpcurl", () => {
  let platform: RunningPlatform;
  const call = async (method: string, body: unknown) => {
    const r = await run(toolPath("GRPCURL"), ["-plaintext", "-d", JSON.stringify(body), platform.address, `meshstream.v1.CatalogService/${method}`], { timeoutMs: 20_000 });
    return { ...r, json: r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined };
  };

  beforeAll(async () => {
    platform = await startPlatform({ MESHSTREAM_MAX_SCHEMA_BYTES: "2048" });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("registers a product, a type and its schema; lists and search find them", async () => {
    expect((await call("CreateDataProduct", { dataProduct: { name: "shop", owner: "sales", description: "Orders of the web shop" } })).code).toBe(0);
    const type = await call("RegisterEventType", {
      eventType: { type: "shop.order.placed", dataProduct: "shop", description: "A customer placed an order", definition: "#Order" },
    });
    expect(type.json).toMatchObject({ eventType: { type: "shop.order.placed", compatibility: "COMPATIBILITY_POLICY_BACKWARD" } });
    const version = await call("RegisterSchemaVersion", { type: "shop.order.placed", cueSource: orderSchema });
    expect(version.json).toMatchObject({ schemaVersion: { version: 1, uri: "meshstream:schema/shop.order.placed/1" }, created: true });

    const products = await call("ListDataProducts", {});
    expect((products.json!.dataProducts as { name: string }[]).map((p) => p.name)).toEqual(expect.arrayContaining(["people", "shop"]));
    const found = await call("SearchEventTypes", { query: "customer order" });
    expect((found.json!.eventTypes as { type: string }[]).map((t) => t.type)).toEqual(["shop.order.placed"]);
  });

  it("streams catalog changes to a grpcurl watcher", async () => {
    const watcher = spawn(toolPath("GRPCURL"), ["-plaintext", "-d", "{}", platform.address, "meshstream.v1.CatalogService/WatchCatalog"]);
    let out = "";
    const seen = new Promise<void>((resolve) =>
      watcher.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes('"name": "watched"')) resolve();
      }),
    );
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect((await call("CreateDataProduct", { dataProduct: { name: "watched", owner: "o" } })).code).toBe(0);
      await seen;
      expect(out).toContain('"dataProduct": {');
    } finally {
      watcher.kill();
    }
  });

  it("exports the OpenAPI document the CUE engine makes of the schema", async () => {
    const r = await call("GetOpenApi", { type: "shop.order.placed" });
    const engine = await CueEngine.start({ workers: 1 });
    try {
      const expected = await engine.openApi(await engine.compile(orderSchema));
      expect(r.json!.document).toEqual(expected);
      expect(r.json!.document).toMatchObject({ openapi: "3.0.0", components: { schemas: { Order: { required: ["id", "total"] } } } });
    } finally {
      await engine.close();
    }
  });

  it("exports the JSON Schema of the type's definition", async () => {
    const r = await call("GetJsonSchema", { type: "MySource:newPerson" });
    expect(r.json!.schema).toMatchObject({ type: "object", additionalProperties: false, required: ["Last", "first"], properties: { Age: { exclusiveMaximum: 130 } } });
  });

  it("validates the seed's event with Age 140 as the seed says", async () => {
    const r = await call("ValidateEvent", { event: { type: "MySource:newPerson", data: { first: "John", Last: "Doe", Age: 140 } } });
    expect(r.json).toEqual({ violations: [{ field: "Age", description: "#Identity.Age: invalid value 140 (out of bound <130)" }], schemaVersion: 1 });
    const ok = await call("ValidateEvent", { event: { type: "MySource:newPerson", data: { first: "John", Last: "Doe", Age: 40 } } });
    expect(ok.json).toEqual({ valid: true, schemaVersion: 1 });
  });

  it.each([
    ["CUE that does not compile", "RegisterSchemaVersion", { type: "shop.order.placed", cueSource: "#Order: {\n  id: \n" }, "InvalidArgument", /:\d+:\d+: /],
    ["a definition not in the source", "RegisterSchemaVersion", { type: "shop.order.placed", cueSource: "#Other: {a: int}" }, "InvalidArgument", /#Order is not in the source/],
    ["a source over the size limit", "RegisterSchemaVersion", { type: "shop.order.placed", cueSource: orderSchema + "// pad\n".repeat(400) }, "InvalidArgument", /larger than the limit of 2048 bytes/],
    ["a tightened bound", "RegisterSchemaVersion", { type: "shop.order.placed", cueSource: orderSchema.replace(">=0", ">=100") }, "FailedPrecondition", /total/],
    ["a bad type name", "RegisterEventType", { eventType: { type: "bad type", dataProduct: "shop", definition: "#Order" } }, "InvalidArgument", /naming rules/],
    ["an unknown product", "GetDataProduct", { name: "ghosts" }, "NotFound", /data product ghosts not found/],
    ["a duplicate product", "CreateDataProduct", { dataProduct: { name: "people", owner: "x" } }, "AlreadyExists", /already exists/],
  ])("answers %s with its status, and keeps serving", async (_what, method, body, code, message) => {
    const r = await call(method, body);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Code: ${code}`);
    expect(r.stderr).toMatch(message);
    expect((await call("GetDataProduct", { name: "people" })).code).toBe(0);
  });
});
