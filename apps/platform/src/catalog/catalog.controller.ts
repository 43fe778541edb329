import { GrpcService, type ServiceImpl } from "@meshstream/grpc";
import { CatalogService } from "@meshstream/proto";
import { Injectable } from "@nestjs/common";

/** Thin translator between CatalogService messages and the domain. */
@Injectable()
@GrpcService(CatalogService)
export class CatalogController implements ServiceImpl<typeof CatalogService> {}
