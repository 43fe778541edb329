import { Global, Module } from "@nestjs/common";
import type { PlatformConfig } from "./config";

export const PLATFORM_CONFIG = Symbol("PLATFORM_CONFIG");

/** Makes the configuration, read once at start, injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PlatformConfig) {
    return { module: ConfigModule, providers: [{ provide: PLATFORM_CONFIG, useValue: config }], exports: [PLATFORM_CONFIG] };
  }
}
