import { Catalog } from "@meshstream/catalog";
import type { CueEngine } from "@meshstream/cuelang-wasm";
import { EventValidator } from "@meshstream/validation";
import { Module } from "@nestjs/common";
import { CUE_ENGINE } from "../catalog/tokens";
import { IngestController } from "./ingest.controller";
import { RejectedStream } from "./rejected-stream";

@Module({
  providers: [
    { provide: EventValidator, inject: [Catalog, CUE_ENGINE], useFactory: (catalog: Catalog, engine: CueEngine) => new EventValidator(catalog, engine) },
    RejectedStream,
    IngestController,
  ],
})
export class IngestModule {}
