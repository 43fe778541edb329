import type { CatalogStore } from "./catalog-store";
import type { DataProduct, EventType, SchemaVersion } from "./model";

/** What every CatalogStore adapter must do; each adapter's spec calls it unchanged. */
export function catalogStoreContract(open: () => Promise<{ store: CatalogStore; reopen: () => Promise<CatalogStore> }>): void {
  const product = (name: string): DataProduct => ({ name, owner: "team", description: `the ${name} product`, source: `/${name}`, createTime: "2026-11-23T00:00:00.000Z" });
  const eventType = (type: string, dataProduct: string, latestVersion = 0): EventType => ({
    type,
    dataProduct,
    description: "d",
    compatibility: "BACKWARD",
    definition: "#T",
    latestVersion,
    createTime: "2026-11-23T00:00:00.000Z",
  });
  const version = (type: string, n: number): SchemaVersion => ({
    type,
    version: n,
    cueSource: `#T: {v: ${n}}`,
    definition: "#T",
    fingerprint: `f${n}`,
    uri: `meshstream:schema/${type}/${n}`,
    createTime: "2026-11-23T00:00:00.000Z",
  });

  it("stores, lists in name order and upserts products, types and versions", async () => {
    const { store } = await open();
    try {
      await store.putProduct(product("people"));
      await store.putProduct(product("orders"));
      await store.putProduct({ ...product("people"), owner: "other" });
      expect(store.listProducts().map((p) => [p.name, p.owner])).toEqual([
        ["orders", "team"],
        ["people", "other"],
      ]);
      await store.putEventType(eventType("MySource:newPerson", "people"));
      await store.putEventType(eventType("MySource:newPerson", "people", 2));
      expect(store.getEventType("MySource:newPerson")?.latestVersion).toBe(2);
      expect(store.getEventType("nope")).toBeUndefined();
      for (const n of [1, 2, 10]) await store.putSchemaVersion(version("MySource:newPerson", n));
      await store.putSchemaVersion(version("Other", 1));
      expect(store.listSchemaVersions("MySource:newPerson").map((v) => v.version)).toEqual([1, 2, 10]);
    } finally {
      await store.close();
    }
  });

  it("keeps everything across a restart", async () => {
    const { store, reopen } = await open();
    await store.putProduct(product("people"));
    await store.putEventType(eventType("MySource:newPerson", "people", 1));
    await store.putSchemaVersion(version("MySource:newPerson", 1));
    await store.close();
    const again = await reopen();
    try {
      expect(again.getProduct("people")).toEqual(product("people"));
      expect(again.listEventTypes().map((t) => t.type)).toEqual(["MySource:newPerson"]);
      expect(again.listSchemaVersions("MySource:newPerson")).toEqual([version("MySource:newPerson", 1)]);
    } finally {
      await again.close();
    }
  });
}
