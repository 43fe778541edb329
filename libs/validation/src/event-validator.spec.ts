import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Catalog, EmbeddedCatalogStore } from "@meshstream/catalog";
import { CueEngine } from "@meshstream/cuelang-wasm";
import { EventValidator, InvalidEventError } from "./event-validator";

const identity = `#Identity: {first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130}`;
const type = "MySource:newPerson";
const doc = (o: unknown) => Buffer.from(JSON.stringify(o));

describe("EventValidator", () => {
  let engine: CueEngine;
  let store: EmbeddedCatalogStore;
  let validator: EventValidator;
  const dir = mkdtempSync(join(tmpdir(), "meshstream-validation-"));

  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 1 });
    store = EmbeddedCatalogStore.open(dir);
    const catalog = new Catalog(store, engine, { maxSourceBytes: 4096 });
    validator = new EventValidator(catalog, engine);
    await catalog.createDataProduct({ name: "people", owner: "hr", description: "People", source: "" });
    await catalog.registerEventType({ type, dataProduct: "people", description: "A person joined", compatibility: "BACKWARD", definition: "#Identity" });
    await catalog.registerSchemaVersion({ type, cueSource: identity });
  });
  afterAll(async () => {
    await store.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts valid data on the fast path, synchronously once compiled", async () => {
    const before = { ...validator.counts };
    const v = await validator.validate(type, 0, doc({ first: "John", Last: "Doe", Age: 40 }));
    expect(v).toMatchObject({ product: "people", source: "/people", version: { version: 1 } });
    expect(validator.tryFast(type, 0, doc({ first: "Ann", Last: "Lee" }))?.version.version).toBe(1);
    expect(validator.counts.fast - before.fast).toBe(2);
    expect(validator.counts.engine - before.engine).toBe(0);
  });

  it("leaves invalid data to the engine, whose message is the seed's", async () => {
    const before = validator.counts.engine;
    expect(validator.tryFast(type, 0, doc({ first: "John", Last: "Doe", Age: 140 }))).toBeUndefined();
    const err = await validator.validate(type, 0, doc({ first: "John", Last: "Doe", Age: 140 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).message).toBe("#Identity.Age: invalid value 140 (out of bound <130)");
    expect(validator.counts.engine - before).toBe(1);
  });

  it("checks the value it is given (a Struct's) rather than parsing the text again", () => {
    // Text and value differ here only to show which one is read; ingest passes a Struct and its own JSON text.
    expect(validator.tryFast(type, 0, doc({ first: "john", Last: "Doe" }), { first: "John", Last: "Doe" })).toBeDefined();
    expect(validator.tryFast(type, 0, doc({ first: "John", Last: "Doe" }), { first: "john", Last: "Doe" })).toBeUndefined();
  });

  it("throws the catalog's error for an unknown type or version", () => {
    expect(() => validator.tryFast("Nope", 0, doc({}))).toThrow(/event type Nope not found/);
    expect(() => validator.tryFast(type, 9, doc({}))).toThrow(/has no schema version 9/);
  });
});
