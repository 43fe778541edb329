import { GrpcService, type ServiceImpl } from "@meshstream/grpc";
import { SubscribeService } from "@meshstream/proto";
import { Injectable } from "@nestjs/common";

/** Thin translator between SubscribeService messages and the domain. */
@Injectable()
@GrpcService(SubscribeService)
export class SubscribeController implements ServiceImpl<typeof SubscribeService> {}
