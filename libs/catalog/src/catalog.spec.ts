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

  it("refuses bad names, unknown products and duplicates", async () => {
    expect(await codeOf(catalog.registerEventType({ type: "has space", dataProduct: "people", description: "", compatibility: "BACKWARD", definition: "#T" }))).toBe("invalid_argument");
    expect(await codeOf(catalog.registerEventType({ type: "x.y", dataProduct: "ghosts", description: "", compatibility: "BACKWARD", definition: "#T" }))).toBe("not_found");
    expect(await codeOf(catalog.createDataProduct({ name: "people", owner: "", description: "", source: "" }))).toBe("already_exists");
    expect(await codeOf(catalog.createDataProduct({ name: "Bad Name", owner: "", description: "", source: "" }))).toBe("invalid_argument");
    expect(await codeOf(Promise.resolve().then(() => catalog.getDataProduct("ghosts")))).toBe("not_found");
  });
});
