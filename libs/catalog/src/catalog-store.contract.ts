import type { CatalogStore } from "./catalog-store";
import type { AccessRevision, DataProduct, EventType, SchemaVersion } from "./model";

/**
 * What every CatalogStore adapter must do; each adapter's spec calls it
 * unchanged. `open` gives a fresh store; `reopen` another store on the same
 * data (a restart, or for a shared store a second platform instance).
 */
export function catalogStoreContract(open: () => Promise<{ store: CatalogStore; reopen: () => Promise<CatalogStore> }>): void {
  const product = (name: string, owner = "team"): DataProduct => ({ name, owner, description: `the ${name} product`, source: `/${name}`, createTime: "2026-11-23T00:00:00.000Z" });
  const eventType = (type: string, dataProduct: string): EventType => ({
    type,
    dataProduct,
    description: "d",
    compatibility: "BACKWARD",
    definition: "#T",
    latestVersion: 0,
    createTime: "2026-11-23T00:00:00.000Z",
  });
  const version = (type: string, n: number, source = `#T: {v: ${n}}`): SchemaVersion => ({
    type,
    version: n,
    cueSource: source,
    definition: "#T",
    fingerprint: `f${n}`,
    uri: `meshstream:schema/${type}/${n}`,
    createTime: "2026-11-23T00:00:00.000Z",
  });

  it("creates each entry once, lists in name order, and keeps the first of two writes to one key", async () => {
    const { store } = await open();
    try {
      expect(await store.createProduct(product("people"))).toBe(true);
      expect(await store.createProduct(product("orders"))).toBe(true);
      expect(await store.createProduct(product("people", "other"))).toBe(false);
      expect(store.listProducts().map((p) => [p.name, p.owner])).toEqual([
        ["orders", "team"],
        ["people", "team"],
      ]);
      expect(await store.createEventType(eventType("MySource:newPerson", "people"))).toBe(true);
      expect(await store.createEventType(eventType("MySource:newPerson", "orders"))).toBe(false);
      expect(store.getEventType("MySource:newPerson")?.dataProduct).toBe("people");
      expect(store.getEventType("nope")).toBeUndefined();
      for (const n of [1, 2, 3]) expect(await store.createSchemaVersion(version("MySource:newPerson", n))).toBe(true);
      expect(await store.createSchemaVersion(version("MySource:newPerson", 2, "#T: {other: 2}"))).toBe(false);
      expect(await store.createSchemaVersion(version("Other", 1))).toBe(true);
      // A type whose name extends another's with "/" keeps its own versions.
      expect(await store.createSchemaVersion(version("MySource:newPerson/x", 1))).toBe(true);
      expect(store.listSchemaVersions("MySource:newPerson").map((v) => [v.version, v.cueSource])).toEqual([
        [1, "#T: {v: 1}"],
        [2, "#T: {v: 2}"],
        [3, "#T: {v: 3}"],
      ]);
    } finally {
      await store.close();
    }
  });

  it("refuses a schema version that does not follow the latest one", async () => {
    const { store } = await open();
    try {
      expect(await store.createSchemaVersion(version("T", 2))).toBe(false);
      expect(await store.createSchemaVersion(version("T", 1))).toBe(true);
      expect(await store.createSchemaVersion(version("T", 3))).toBe(false);
      expect(store.listSchemaVersions("T").map((v) => v.version)).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  const revision = (productName: string, n: number, owner = `owner-${n}`): AccessRevision => ({ product: productName, revision: n, access: { owners: [owner], producers: [], consumers: ["*"] } });

  it("keeps a product's access revisions dense per product, the latest being the access", async () => {
    const { store } = await open();
    try {
      expect(store.latestAccessRevision("people")).toBeUndefined();
      expect(await store.createAccessRevision(revision("people", 2))).toBe(false);
      expect(await store.createAccessRevision(revision("people", 1))).toBe(true);
      expect(await store.createAccessRevision(revision("people", 1, "other"))).toBe(false);
      expect(await store.createAccessRevision(revision("people", 2))).toBe(true);
      // Another product's numbers are its own; a name that extends this one's is another product.
      expect(await store.createAccessRevision(revision("people-archive", 1, "archivist"))).toBe(true);
      expect(store.latestAccessRevision("people")).toEqual(revision("people", 2));
      expect(store.latestAccessRevision("people-archive")).toEqual(revision("people-archive", 1, "archivist"));
    } finally {
      await store.close();
    }
  });

  it("lets exactly one of many concurrent writers to one key win, across two stores on the same data", async () => {
    const { store, reopen } = await open();
    const other = await reopen();
    try {
      const stores = [store, other];
      const products = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.createProduct(product("race", `owner-${i}`))));
      expect(products.filter(Boolean)).toHaveLength(1);
      const winner = products.indexOf(true);
      const types = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.createEventType(eventType("race.type", `p${i}`))));
      expect(types.filter(Boolean)).toHaveLength(1);
      // Every writer proposes the next number after the latest it has seen: only dense numbers, one winner each.
      const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.createSchemaVersion(version("race.type", 1, `#T: {w: ${i}}`))));
      expect(versions.filter(Boolean)).toHaveLength(1);
      const revisions = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.createAccessRevision(revision("race", 1, `o${i}`))));
      expect(revisions.filter(Boolean)).toHaveLength(1);
      for (const s of stores) {
        await until(() => s.getProduct("race") !== undefined && s.listSchemaVersions("race.type").length === 1 && s.latestAccessRevision("race") !== undefined);
        expect(s.latestAccessRevision("race")?.access.owners).toEqual([`o${revisions.indexOf(true)}`]);
        expect(s.getProduct("race")?.owner).toBe(`owner-${winner}`);
        expect(s.getEventType("race.type")?.dataProduct).toBe(`p${types.indexOf(true)}`);
        expect(s.listSchemaVersions("race.type").map((v) => v.cueSource)).toEqual([`#T: {w: ${versions.indexOf(true)}}`]);
      }
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });

  it("keeps everything across a restart", async () => {
    const { store, reopen } = await open();
    await store.createProduct(product("people"));
    await store.createEventType(eventType("MySource:newPerson", "people"));
    await store.createSchemaVersion(version("MySource:newPerson", 1));
    await store.createAccessRevision(revision("people", 1));
    await store.createProduct(product("people", "late"));
    await store.close();
    const again = await reopen();
    try {
      expect(again.getProduct("people")).toEqual(product("people"));
      expect(again.listEventTypes().map((t) => t.type)).toEqual(["MySource:newPerson"]);
      expect(again.listSchemaVersions("MySource:newPerson")).toEqual([version("MySource:newPerson", 1)]);
      expect(again.latestAccessRevision("people")).toEqual(revision("people", 1));
    } finally {
      await again.close();
    }
  });
}

/** A shared store's other instance sees a write once it has read it: wait for that, briefly. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
