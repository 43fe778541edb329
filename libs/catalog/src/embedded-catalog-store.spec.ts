import { catalogStoreContract } from "./catalog-store.contract";
import { EmbeddedCatalogStore } from "./embedded-catalog-store";
import { tempDir } from "../../../test/harness/temp";

describe("EmbeddedCatalogStore", () => {
  catalogStoreContract(async () => {
    const dir = tempDir("catalog");
    return { store: EmbeddedCatalogStore.open(dir), reopen: async () => EmbeddedCatalogStore.open(dir) };
  });
});
