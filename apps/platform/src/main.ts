import "reflect-metadata";
import { GrpcServerHost } from "@meshstream/grpc";
import { NestFactory } from "@nestjs/core";
import { AppModule } from "./app.module";
import { HttpServerHost } from "./http/http.module";
import { ConfigError, loadConfig, type PlatformConfig } from "./config/config";
import { platformVersion, startBanner } from "./observability/banner";
import { MetricsListener } from "./observability/observability.module";
import { logNodeWarnings } from "./observability/node-warnings";
import { PlatformLogger } from "./observability/platform-logger";
import { startTracing } from "./observability/tracing-sdk";

function readConfig(): { config: PlatformConfig; tracing: ReturnType<typeof startTracing> } {
  try {
    const config = loadConfig(process.env);
    // The SDK goes in before anything that makes spans.
    return { config, tracing: startTracing(process.env, platformVersion()) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Before the logger exists: say what is wrong in plain words and stop.
    process.stderr.write(`meshstream: ${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { config, tracing } = readConfig();
  const logger = new PlatformLogger(config.logLevel);
  logNodeWarnings(logger);
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
      // Spans still buffered go to the exporter before the exit.
      .then(() => tracing?.shutdown())
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
  const metrics = app.get(MetricsListener).address;
  const http = app.get(HttpServerHost).server?.address;
  logger.announce(
    startBanner(config, {
      grpc: app.get(GrpcServerHost).server.address,
      ...(http ? { http: `${config.tls ? "https" : "http"}://${http}` } : {}),
      ...(metrics ? { metrics: `http://${metrics}/metrics` } : {}),
    }),
  );
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
