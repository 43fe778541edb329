import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CueEngine } from "@meshstream/cuelang-wasm";
import { Catalog } from "./catalog";
import { DeclarationError, loadDeclarations } from "./declarations";
import { EmbeddedCatalogStore } from "./embedded-catalog-store";
import { tempDir } from "../../../test/harness/temp";

const shipped = join(__dirname, "..", "..", "..", "schemas");

describe("declarations in schemas/", () => {
  let engine: CueEngine;
  const stores: EmbeddedCatalogStore[] = [];
  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 1 });
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await engine.close();
  });

  const catalogAt = (dir: string) => {
    const store = EmbeddedCatalogStore.open(dir);
    stores.push(store);
    return new Catalog(store, engine, { maxSourceBytes: 65536 });
  };
  const freshCatalog = () => {
    const dir = tempDir("decl");
    return { dir, catalog: catalogAt(dir) };
  };

  it("loads the shipped people product, idempotently across restarts", async () => {
    const { dir, catalog } = freshCatalog();
    expect(await loadDeclarations(shipped, catalog, engine)).toEqual({ products: 1, types: 1 });
    expect(catalog.getDataProduct("people").owner).toBe("people-team");
    expect(catalog.getEventType("MySource:newPerson")).toMatchObject({ definition: "#Identity", latestVersion: 1 });
    // A restart: a new catalog on the same store loads the same declarations.
    const again = catalogAt(dir);
    await loadDeclarations(shipped, again, engine);
    expect(again.listSchemaVersions("MySource:newPerson", 10, "").items.map((v) => v.version)).toEqual([1]);
    expect(again.listDataProducts(10, "").items).toHaveLength(1);
  });

  it("loads the same declarations from two catalogs on one store at the same time (two instances starting)", async () => {
    const { dir, catalog } = freshCatalog();
    const other = catalogAt(dir);
    await Promise.all([loadDeclarations(shipped, catalog, engine), loadDeclarations(shipped, other, engine)]);
    expect(other.listSchemaVersions("MySource:newPerson", 10, "").items.map((v) => v.version)).toEqual([1]);
  });

  const declare = (product: string, files: Record<string, string>) => {
    const root = tempDir("schemas");
    mkdirSync(join(root, product));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, product, name), text);
    return root;
  };

  it.each([
    ["CUE that does not parse", { "product.cue": 'product: {\n  name: "x"\n  owner: \n' }, /product\.cue:\d+:\d+: /],
    ["a missing owner", { "product.cue": 'product: name: "shop"\n' }, /product\.cue: product\.owner: field is required but not present/],
    ["a bad product name", { "product.cue": 'product: {name: "Shop!", owner: "o"}\n' }, /product\.cue: product\.name: invalid value "Shop!"/],
    [
      "a schema file that does not exist",
      { "product.cue": 'product: {name: "shop", owner: "o"}\ntypes: "shop.order": {definition: "#Order", schema: "order.cue"}\n' },
      /types\."shop\.order"\.schema: order\.cue does not exist/,
    ],
    [
      "a schema that does not compile",
      { "product.cue": 'product: {name: "shop", owner: "o"}\ntypes: "shop.order": {definition: "#Order", schema: "order.cue"}\n', "order.cue": "#Order: {\n  id: \n" },
      /product\.cue: .*order\.cue:\d+:\d+/,
    ],
    ["an owner that is anyone", { "product.cue": 'product: {name: "shop", owner: "o"}\naccess: owners: ["*"]\n' }, /product\.cue: access\.owners\.0: invalid value "\*"/],
    ["a principal with a space", { "product.cue": 'product: {name: "shop", owner: "o"}\naccess: consumers: ["sales team"]\n' }, /product\.cue: access\.consumers\.0: invalid value "sales team"/],
    ["an unknown role", { "product.cue": 'product: {name: "shop", owner: "o"}\naccess: readers: ["x"]\n' }, /product\.cue: access\.readers: field not allowed/],
  ])("stops on %s with the file, the place and the reason", async (_what, files, message) => {
    const { catalog } = freshCatalog();
    const err = await loadDeclarations(declare("shop", files), catalog, engine).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeclarationError);
    expect((err as Error).message).toMatch(message);
  });

  describe("access", () => {
    const product = (access: string) => `product: {name: "shop", owner: "sales"}\n${access}`;

    it("loads the roles a declaration gives, and a restart with changed roles applies them", async () => {
      const { dir, catalog } = freshCatalog();
      await loadDeclarations(declare("shop", { "product.cue": product('access: {owners: ["group:sales"], consumers: ["*"]}\n') }), catalog, engine);
      expect(catalog.getDataProduct("shop").access).toEqual({ owners: ["group:sales"], producers: [], consumers: ["*"] });
      const changes: string[] = [];
      const again = catalogAt(dir);
      again.watch((c) => changes.push(c.kind));
      await loadDeclarations(declare("shop", { "product.cue": product('access: {owners: ["group:sales"], consumers: ["*"]}\n') }), again, engine);
      expect(changes).toEqual([]);
      await loadDeclarations(declare("shop", { "product.cue": product('access: {owners: ["group:sales"], producers: ["shop-app"]}\n') }), again, engine);
      expect(again.getDataProduct("shop").access).toEqual({ owners: ["group:sales"], producers: ["shop-app"], consumers: [] });
      expect(changes).toEqual(["dataProduct"]);
    });

    it("leaves the roles the Catalog API set on a product whose declaration has none", async () => {
      const { dir, catalog } = freshCatalog();
      const schemas = declare("shop", { "product.cue": product("") });
      await loadDeclarations(schemas, catalog, engine);
      expect(catalog.getDataProduct("shop").access).toBeUndefined();
      await catalog.setDataProductAccess("shop", { owners: ["alice"] });
      const again = catalogAt(dir);
      await loadDeclarations(schemas, again, engine);
      expect(again.getDataProduct("shop").access).toEqual({ owners: ["alice"], producers: [], consumers: [] });
    });
  });
});
