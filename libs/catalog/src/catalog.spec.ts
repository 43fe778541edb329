import { CueEngine } from "@meshstream/cuelang-wasm";
import { Catalog } from "./catalog";
import { IncompatibleSchemaError } from "./compatibility";
import { EmbeddedCatalogStore } from "./embedded-catalog-store";
import { CatalogError } from "./model";
import { tempDir } from "../../../test/harness/temp";

const identity = `#Identity: {
	// first name of the person
	first: =~"[A-Z].*"
	// Last name of the person
	Last: =~"[A-Z].*"
	// Age of the person
	Age?: number & <130
}
`;

describe("Catalog", () => {
  let engine: CueEngine;
  let catalog: Catalog;
  let store: EmbeddedCatalogStore;

  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 1 });
    store = EmbeddedCatalogStore.open(tempDir("catalog"));
    catalog = new Catalog(store, engine, { maxSourceBytes: 4096 });
    await catalog.createDataProduct({ name: "people", owner: "hr", description: "People of the company", source: "" });
    await catalog.registerEventType({ type: "MySource:newPerson", dataProduct: "people", description: "A person joined", compatibility: "BACKWARD", definition: "#Identity" });
  });
  afterAll(async () => {
    await store.close();
    await engine.close();
  });

  const codeOf = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as CatalogError | undefined)?.code;

  it("sets a product's access, checked by CUE as a declaration's is, and tells watchers", async () => {
    const seen: unknown[] = [];
    const stop = catalog.watch((c) => seen.push(c.value));
    try {
      const updated = await catalog.setDataProductAccess("people", { owners: ["group:people-team"], consumers: ["*"] });
      expect(updated.access).toEqual({ owners: ["group:people-team"], producers: [], consumers: ["*"] });
      expect(catalog.getDataProduct("people").access).toEqual(updated.access);
      expect(seen).toEqual([updated]);
    } finally {
      stop();
    }
    const err = (await catalog.setDataProductAccess("people", { owners: ["*"], producers: ["two words"] }).catch((e: unknown) => e)) as CatalogError;
    expect(err.code).toBe("invalid_argument");
    expect(err.violations?.map((v) => v.field).sort()).toEqual(["access.owners.0", "access.producers.0"]);
    expect(await codeOf(catalog.setDataProductAccess("ghosts", {}))).toBe("not_found");
    expect(await codeOf(catalog.createDataProduct({ name: "bad-access", owner: "o", description: "", source: "", access: { consumers: [""] } }))).toBe("invalid_argument");
    expect(catalog.findDataProduct("bad-access")).toBeUndefined();
  });

  it("registers a first version, and the same source again returns it", async () => {
    const first = await catalog.registerSchemaVersion({ type: "MySource:newPerson", cueSource: identity });
    expect(first).toMatchObject({ created: true, version: { version: 1, definition: "#Identity", uri: "meshstream:schema/MySource%3AnewPerson/1" } });
    const again = await catalog.registerSchemaVersion({ type: "MySource:newPerson", cueSource: identity });
    expect(again).toEqual({ created: false, version: first.version });
    expect(catalog.getEventType("MySource:newPerson").latestVersion).toBe(1);
    expect(catalog.getSchemaVersion("MySource:newPerson", 0).version).toBe(1);
  });

  it("adds a compatible version and refuses an incompatible one with FAILED_PRECONDITION naming the field", async () => {
    const v2 = await catalog.registerSchemaVersion({ type: "MySource:newPerson", cueSource: identity.replace("}\n", "\t// e-mail\n\temail?: string\n}\n") });
    expect(v2.version.version).toBe(2);
    const err = await catalog.registerSchemaVersion({ type: "MySource:newPerson", cueSource: identity.replace("<130", "<100") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleSchemaError);
    expect((err as IncompatibleSchemaError).code).toBe("failed_precondition");
    expect((err as IncompatibleSchemaError).message).toContain("Age");
  });

  it("finds types by words in names and descriptions, and pages lists", async () => {
    await catalog.registerEventType({ type: "MySource:personLeft", dataProduct: "people", description: "A person left", compatibility: "NONE", definition: "#Identity" });
    expect(catalog.searchEventTypes("person JOINED", 10, "").items.map((t) => t.type)).toEqual(["MySource:newPerson"]);
    const page1 = catalog.listEventTypes("people", 1, "");
    const page2 = catalog.listEventTypes("people", 1, page1.nextPageToken);
    expect([...page1.items, ...page2.items].map((t) => t.type)).toEqual(["MySource:newPerson", "MySource:personLeft"]);
    expect(page2.nextPageToken).toBe("");
  });

  it.each([
    ["CUE that does not compile", { type: "MySource:newPerson", cueSource: "#Identity: {\n  first: \n" }, "invalid_argument", /:\d+:\d+: /],
    ["a definition not in the source", { type: "MySource:newPerson", cueSource: "#Other: {a: int}" }, "invalid_argument", /definition #Identity is not in the source/],
    ["a source over the size limit", { type: "MySource:newPerson", cueSource: `#Identity: {a: string}\n${"// pad\n".repeat(1000)}` }, "invalid_argument", /larger than the limit of 4096 bytes/],
    ["an unknown type", { type: "Nope", cueSource: identity }, "not_found", /event type Nope not found/],
  ])("answers %s with a precise error", async (_what, input, code, message) => {
    const err = (await catalog.registerSchemaVersion(input).catch((e: unknown) => e)) as CatalogError;
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it("answers concurrent registrations with one winner each, dense versions, and answers that match the store", async () => {
    await catalog.createDataProduct({ name: "racing", owner: "o", description: "", source: "" });
    const products = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => catalog.createDataProduct({ name: "contested", owner: `o${i}`, description: "", source: "" })));
    expect(products.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(products.filter((r) => r.status === "rejected").map((r) => (r.reason as CatalogError).code)).toEqual(Array(9).fill("already_exists"));
    expect(catalog.getDataProduct("contested").owner).toBe((products.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ owner: string }>).value.owner);

    const type = { type: "race.v", dataProduct: "racing", description: "", compatibility: "BACKWARD" as const, definition: "#T" };
    await catalog.registerEventType(type);
    // The same schema ten times at once: one version, one created: true.
    const same = await Promise.all(Array.from({ length: 10 }, () => catalog.registerSchemaVersion({ type: "race.v", cueSource: "#T: {a: int}" })));
    expect(same.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(same.map((r) => r.version.version))).toEqual(new Set([1]));
    // Ten different schemas at once, each compatible with version 1 but not with each other: the first
    // stored becomes version 2, and every other one, checked again against the version it would now follow, is refused.
    const rivals = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => catalog.registerSchemaVersion({ type: "race.v", cueSource: `#T: {a: int, f${i}?: int}` })));
    expect(rivals.filter((r) => r.status === "fulfilled").map((r) => r.value)).toEqual([expect.objectContaining({ created: true, version: expect.objectContaining({ version: 2 }) })]);
    expect(rivals.filter((r) => r.status === "rejected").map((r) => (r.reason as { code: string }).code)).toEqual(Array(9).fill("failed_precondition"));
    // With no policy, ten at once all land on dense numbers, or are told to try again.
    await catalog.registerEventType({ ...type, type: "race.n", compatibility: "NONE" });
    const many = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => catalog.registerSchemaVersion({ type: "race.n", cueSource: `#T: {n${i}: int}` })));
    const created = many.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    for (const r of many) if (r.status === "rejected") expect((r.reason as CatalogError).code).toBe("aborted");
    expect(created.every((r) => r.created)).toBe(true);
    const stored = catalog.listSchemaVersions("race.n", 100, "").items;
    expect(stored.map((v) => v.version)).toEqual(Array.from({ length: created.length }, (_, i) => i + 1));
    for (const r of created) expect(stored.find((v) => v.version === r.version.version)?.cueSource).toBe(r.version.cueSource);
    expect(catalog.getEventType("race.n").latestVersion).toBe(stored.length);
  });

  it("refuses bad names, unknown products and duplicates", async () => {
    expect(await codeOf(catalog.registerEventType({ type: "has space", dataProduct: "people", description: "", compatibility: "BACKWARD", definition: "#T" }))).toBe("invalid_argument");
    expect(await codeOf(catalog.registerEventType({ type: "x.y", dataProduct: "ghosts", description: "", compatibility: "BACKWARD", definition: "#T" }))).toBe("not_found");
    expect(await codeOf(catalog.createDataProduct({ name: "people", owner: "", description: "", source: "" }))).toBe("already_exists");
    expect(await codeOf(catalog.createDataProduct({ name: "Bad Name", owner: "", description: "", source: "" }))).toBe("invalid_argument");
    expect(await codeOf(Promise.resolve().then(() => catalog.getDataProduct("ghosts")))).toBe("not_found");
    // Too long to be a name the catalog could hold: the limit is named, and the store is not asked.
    expect(() => catalog.getEventType("t".repeat(10_000))).toThrow("event type of 10000 characters is longer than the limit of 255 characters");
    expect(() => catalog.getDataProduct("p".repeat(10_000))).toThrow("data product name of 10000 characters is longer than the limit of 63 characters");
  });
});

describe("Catalog probing new schemas under the engine's limits", () => {
  let engine: CueEngine;
  let store: EmbeddedCatalogStore;
  let catalog: Catalog;
  beforeAll(async () => {
    // No memory limit: a list.Range past it ends the process (see CueEngineOptions.memoryLimitBytes).
    engine = await CueEngine.start({ workers: 1, timeoutMs: 30_000, evaluationTimeoutMs: 5000 });
    store = EmbeddedCatalogStore.open(tempDir("catalog"));
    catalog = new Catalog(store, engine, { maxSourceBytes: 4096 });
    await catalog.createDataProduct({ name: "probed", owner: "o", description: "", source: "" });
    await catalog.registerEventType({ type: "probed.t", dataProduct: "probed", description: "", compatibility: "NONE", definition: "#T" });
  });
  afterAll(async () => {
    await store.close();
    await engine.close();
  });

  it.each([
    ["a list as long as a field says", 'import "list"\n#T: {n: int, l: list.Range(0, n, 1)}', /^schema evaluation exceeded the (time|memory) limit of 5000 ms on a generated large document: \{"n":1000000000\}$/],
    ["a list as long as the difference of two fields", 'import "list"\n#T: {a: int, b: int, l: list.Range(0, a - b, 1)}', /^schema evaluation exceeded the (time|memory) limit .* on a generated mixed document: \{"a":1000000000,"b":-1000000000\}$/],
  ])("refuses %s with INVALID_ARGUMENT naming the limit and the document", async (_what, cueSource, message) => {
    const err = (await catalog.registerSchemaVersion({ type: "probed.t", cueSource }).catch((e: unknown) => e)) as CatalogError;
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toMatch(message);
    expect(catalog.listSchemaVersions("probed.t", 10, "").items).toEqual([]);
  });

  it("registers a schema whose cost stays within the limits on every generated document", async () => {
    const r = await catalog.registerSchemaVersion({ type: "probed.t", cueSource: 'import "list"\n#T: {n: int & <=100, l: list.Range(0, n, 1), tags?: [...string]}' });
    expect(r.created).toBe(true);
  });
});
