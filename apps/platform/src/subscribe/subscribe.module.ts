import { Catalog } from "@meshstream/catalog";
import type { CueEngine } from "@meshstream/cuelang-wasm";
import { FilterCompiler } from "@meshstream/filters";
import { Module } from "@nestjs/common";
import { CUE_ENGINE } from "../catalog/tokens";
import { filterCompiler } from "./catalog-schemas";
import { durableProviders } from "./durable.providers";
import { SubscribeController } from "./subscribe.controller";
import { SubscriptionsController } from "./subscriptions.controller";

@Module({
  providers: [{ provide: FilterCompiler, inject: [Catalog, CUE_ENGINE], useFactory: (catalog: Catalog, engine: CueEngine) => filterCompiler(catalog, engine) }, SubscribeController, ...durableProviders, SubscriptionsController],
})
export class SubscribeModule {}
