import { GrpcService, type ServiceImpl } from "@meshstream/grpc";
import { IngestService } from "@meshstream/proto";
import { Injectable } from "@nestjs/common";

/** Thin translator between IngestService messages and the domain. */
@Injectable()
@GrpcService(IngestService)
export class IngestController implements ServiceImpl<typeof IngestService> {}
