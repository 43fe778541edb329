import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalogStoreContract } from "./catalog-store.contract";
import { EmbeddedCatalogStore } from "./embedded-catalog-store";

describe("EmbeddedCatalogStore", () => {
  catalogStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshstream-catalog-"));
    return { store: EmbeddedCatalogStore.open(dir), reopen: async () => EmbeddedCatalogStore.open(dir) };
  });
});
