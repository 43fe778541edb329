import type { DescService } from "@bufbuild/protobuf";
import { DiscoveryService } from "@nestjs/core";

/**
 * Marks a provider as the implementation of a generated service:
 * `@GrpcService(IngestService) class IngestController { publish(...) {...} }`.
 * GrpcModule finds every such provider and registers it with the server.
 */
export const GrpcService = DiscoveryService.createDecorator<DescService>();
