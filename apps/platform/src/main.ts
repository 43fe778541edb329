import "reflect-metadata";
import { ConsoleLogger, type LogLevel } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { AppModule } from "./app.module";
import { ConfigError, loadConfig, type PlatformConfig } from "./config/config";

const levels: readonly LogLevel[] = ["fatal", "error", "warn", "log", "debug", "verbose"];

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
  const logger = new ConsoleLogger("meshstream", {
    json: true,
    logLevels: levels.slice(0, levels.indexOf(config.logLevel) + 1),
  });
  for (const warning of config.warnings) logger.warn({ msg: "insecure", warning });
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
  await ready;
}

main().catch((err: unknown) => {
  // Key and certificate files that cannot be used are set-up mistakes, as a bad variable is: the reason, no stack.
  if (err instanceof Error && (err.name === "TlsFilesError" || err.name === "JwksError")) {
    process.stderr.write(`meshstream: cannot start: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`meshstream: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
