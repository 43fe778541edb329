import type { GenServiceMethods, GenService } from "@bufbuild/protobuf/codegenv2";
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from "@nestjs/common";
import { DiscoveryModule, DiscoveryService } from "@nestjs/core";
import { GrpcServer, type GrpcServerOptions } from "./grpc-server";
import { GrpcService } from "./grpc-service.decorator";

export const GRPC_SERVER_OPTIONS = Symbol("GRPC_SERVER_OPTIONS");

/**
 * Runs the GrpcServer inside Nest's lifecycle: it binds once every module is
 * initialised, turns SERVING once the application has bootstrapped, and drains
 * before the application's providers are torn down.
 */
@Injectable()
export class GrpcServerHost implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger("grpc");
  readonly server: GrpcServer;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(GRPC_SERVER_OPTIONS) options: GrpcServerOptions,
  ) {
    this.server = new GrpcServer({
      // At thousands of calls a second a line each would cost more than the calls: successful ones are debug.
      logCall: (entry) => (entry.code === "OK" ? this.logger.debug({ msg: "call", ...entry }) : this.logger.log({ msg: "call", ...entry })),
      onInternalError: (method, err) => this.logger.error({ msg: "internal error", method, error: String(err), stack: (err as Error)?.stack }),
      onTlsReload: (o) => (o.ok ? this.logger.log({ msg: "TLS files changed: new connections get the new certificate" }) : this.logger.error({ msg: "TLS files changed but cannot be used; keeping the previous ones", error: o.error })),
      ...options,
    });
  }

  async onModuleInit(): Promise<void> {
    for (const wrapper of this.discovery.getProviders({ metadataKey: GrpcService.KEY })) {
      const service = this.discovery.getMetadataByDecorator(GrpcService, wrapper) as GenService<GenServiceMethods>;
      this.server.register(service, wrapper.instance as object);
    }
    await this.server.listen();
    this.logger.log({ msg: "listening", address: this.server.address });
  }

  onApplicationBootstrap(): void {
    this.server.markServing();
    this.logger.log({ msg: "serving" });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server.shutdown();
    this.logger.log({ msg: "stopped" });
  }
}

@Module({})
export class GrpcModule {
  static forRootAsync(options: {
    imports?: DynamicModule["imports"];
    inject?: unknown[];
    useFactory: (...args: never[]) => GrpcServerOptions | Promise<GrpcServerOptions>;
  }): DynamicModule {
    return {
      module: GrpcModule,
      global: true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        { provide: GRPC_SERVER_OPTIONS, useFactory: options.useFactory, inject: (options.inject ?? []) as never[] },
        GrpcServerHost,
      ],
      exports: [GrpcServerHost],
    };
  }
}
