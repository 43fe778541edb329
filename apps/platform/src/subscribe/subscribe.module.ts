import { Catalog } from "@meshstream/catalog";
import type { CueEngine } from "@meshstream/cuelang-wasm";
import { FilterCompiler } from "@meshstream/filters";
import { Module } from "@nestjs/common";
import { CUE_ENGINE } from "../catalog/tokens";
import { filterCompiler } from "./catalog-schemas";
import { SubscribeController } from "./subscribe.controller";

@Module({
  providers: [{ provide: FilterCompiler, inject: [Catalog, CUE_ENGINE], useFactory: (catalog: Catalog, engine: CueEngine) => filterCompiler(catalog, engine) }, SubscribeController],
})
export class SubscribeModule {}
