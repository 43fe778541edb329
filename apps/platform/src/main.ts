import "reflect-metadata";
import { GrpcServerHost } from "@meshstream/grpc";
import { NestFactory } from "@nestjs/core";
import { AppModule } from "./app.module";
import { ConfigError, loadConfig, type PlatformConfig } from "./config/config";
import { startBanner } from "./observability/banner";
import { PlatformLogger } from "./observability/platform-logger";

function readConfig(): PlatformConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Before the logger exists: say what is wrong in plain words and stop.
    process.stderr.write(`meshstream: ${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = new PlatformLogger(config.logLevel);
  // Handlers go in before start-up (createApplicationContext also initialises),
  // so a signal during start-up still ends in a clean close. Nest's own
  // shutdown hooks are not used: they re-raise the signal, making the exit code 143.
  const ready = NestFactory.createApplicationContext(AppModule.forConfig(config), { logger, abortOnError: false });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: "stopping", signal });
    ready
      .then((app) => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ msg: "shutdown failed", error: String(err) });
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // SIGHUP switches the log level between the configured one and debug, at run time (README: Logs).
  process.on("SIGHUP", () => logger.toggleLevel());
  const app = await ready;
  logger.announce(startBanner(config, { grpc: app.get(GrpcServerHost).server.address }));
}

main().catch((err: unknown) => {
  process.stderr.write(`meshstream: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
