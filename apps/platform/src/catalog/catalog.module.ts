import { Module } from "@nestjs/common";
import { CatalogController } from "./catalog.controller";

@Module({ providers: [CatalogController] })
export class CatalogModule {}
