import { Module } from "@nestjs/common";
import { IngestController } from "./ingest.controller";

@Module({ providers: [IngestController] })
export class IngestModule {}
