import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { CatalogService, CompatibilityPolicy } from "@meshstream/proto";
import { TestClient } from "../harness/grpc-client";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { toolPath } from "../harness/tool-paths";

const n = 50;

/**
 * 50 concurrent registrations of one product, one type and one schema over
 * gRPC, spread round-robin over the given platform instances: exactly one
 * created per entity, dense versions, and every answer is what is stored.
 */
async function race(clients: TestClient[]): Promise<void> {
  const m = CatalogService.method;
  const settle = <T>(calls: Promise<T>[]) => Promise.allSettled(calls);
  const codes = (results: PromiseSettledResult<unknown>[]) => results.flatMap((r) => (r.status === "rejected" ? [(r.reason as ServiceError).code] : []));
  const on = (i: number) => clients[i % clients.length]!;
  const name = `race-${randomUUID().slice(0, 8)}`;

  const products = await settle(Array.from({ length: n }, (_, i) => on(i).unary(m.createDataProduct, { dataProduct: { name, owner: `owner-${i}` } })));
  const createdProducts = products.flatMap((r) => (r.status === "fulfilled" ? [r.value.dataProduct!] : []));
  expect(createdProducts).toHaveLength(1);
  expect(codes(products)).toEqual(Array(n - 1).fill(Code.ALREADY_EXISTS));
  for (const c of clients) expect((await c.unary(m.getDataProduct, { name })).dataProduct?.owner).toBe(createdProducts[0]!.owner);

  // One type claimed by two products at once: it belongs to the one product the winner named.
  const other = `${name}-b`;
  await on(0).unary(m.createDataProduct, { dataProduct: { name: other, owner: "b" } });
  const type = `${name}.thing`;
  const types = await settle(
    Array.from({ length: n }, (_, i) =>
      on(i).unary(m.registerEventType, { eventType: { type, dataProduct: i % 3 ? name : other, definition: "#T", compatibility: CompatibilityPolicy.BACKWARD } }),
    ),
  );
  const createdTypes = types.flatMap((r) => (r.status === "fulfilled" ? [r.value.eventType!] : []));
  expect(createdTypes).toHaveLength(1);
  expect(codes(types)).toEqual(Array(n - 1).fill(Code.ALREADY_EXISTS));
  for (const c of clients) expect((await c.unary(m.getEventType, { type })).eventType?.dataProduct).toBe(createdTypes[0]!.dataProduct);

  // The same schema 50 times: one created, every answer names that same stored version.
  const same = await Promise.all(Array.from({ length: n }, (_, i) => on(i).unary(m.registerSchemaVersion, { type, cueSource: "#T: {a: int}" })));
  expect(same.filter((r) => r.created)).toHaveLength(1);
  expect(new Set(same.map((r) => `${r.schemaVersion!.version} ${r.schemaVersion!.fingerprint}`)).size).toBe(1);

  // 50 different schemas, each compatible with version 1 but not with each other: one becomes version 2,
  // every other one is checked against the version it would then follow and refused (or told to try again).
  const rivals = await settle(Array.from({ length: n }, (_, i) => on(i).unary(m.registerSchemaVersion, { type, cueSource: `#T: {a: int, f${i}?: int}` })));
  const rivalsCreated = rivals.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  expect(rivalsCreated.map((r) => [r.created, r.schemaVersion!.version])).toEqual([[true, 2]]);
  for (const code of codes(rivals)) expect([Code.FAILED_PRECONDITION, Code.ABORTED]).toContain(code);

  // With no policy, 50 different schemas at once: each created one has its own number, the numbers are dense.
  const free = `${name}.free`;
  await on(0).unary(m.registerEventType, { eventType: { type: free, dataProduct: name, definition: "#T", compatibility: CompatibilityPolicy.NONE } });
  const many = await settle(Array.from({ length: n }, (_, i) => on(i).unary(m.registerSchemaVersion, { type: free, cueSource: `#T: {n${i}: int}` })));
  const manyCreated = many.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  expect(manyCreated.length).toBeGreaterThan(0);
  expect(manyCreated.every((r) => r.created)).toBe(true);
  for (const code of codes(many)) expect(code).toBe(Code.ABORTED);
  for (const c of clients) {
    const stored = (await c.unary(m.listSchemaVersions, { type: free, pageSize: 1000 })).schemaVersions;
    expect(stored.map((v) => v.version)).toEqual(Array.from({ length: manyCreated.length }, (_, i) => i + 1));
    for (const r of manyCreated) expect(stored.find((v) => v.version === r.schemaVersion!.version)?.cueSource).toBe(r.schemaVersion!.cueSource);
    expect((await c.unary(m.getEventType, { type: free })).eventType?.latestVersion).toBe(manyCreated.length);
  }
}

describe("concurrent catalog registrations over gRPC", () => {
  const dirs: string[] = [];
  const platforms: InProcessPlatform[] = [];
  const clients: TestClient[] = [];
  const start = async (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "meshstream-races-"));
    dirs.push(dir);
    const platform = await startInProcessPlatform({ MESHSTREAM_DATA_DIR: dir, ...env });
    platforms.push(platform);
    const client = new TestClient(platform.address);
    clients.push(client);
    return client;
  };

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.allSettled(platforms.map((p) => p.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("embedded catalog: one winner per entity, dense versions, answers that match the store", async () => {
    await race([await start({})]);
  });

  it("Kafka catalog shared by two platform instances: the same, with the calls spread over both", async () => {
    const env = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `races-${randomUUID().slice(0, 8)}.` };
    const a = await start(env);
    const b = await start(env);
    await race([a, b]);
  });
});
