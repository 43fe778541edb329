import "reflect-metadata";
import { join } from "node:path";
import type { EventChannel } from "@meshstream/channel";
import { GrpcServerHost } from "@meshstream/grpc";
import { NestFactory } from "@nestjs/core";
import { AppModule } from "../../apps/platform/src/app.module";
import { EVENT_CHANNEL } from "../../apps/platform/src/channel/channel.module";
import { MetricsListener } from "../../apps/platform/src/observability/observability.module";
import { loadConfig } from "../../apps/platform/src/config/config";
import { HttpServerHost } from "../../apps/platform/src/http/http.module";
import { repoRoot } from "./platform";
import { onCleanup, tempDir } from "./temp";

export interface InProcessPlatform {
  /** gRPC host:port. */
  readonly address: string;
  /** The HTTP face, http://host:port. */
  readonly httpUrl: string;
  /** host:port of its Prometheus listener (undefined when MESHSTREAM_METRICS_LISTEN=off). */
  readonly metricsAddress?: string;
  /** The platform's own channel, for tests that assert on what it holds (stats()). */
  readonly channel: EventChannel;
  /** Streaming calls the gRPC server has open now. */
  activeStreams(): number;
  /** SSE streams and long polls the HTTP face has open now. */
  openHttpCalls(): number;
  close(): Promise<void>;
}

/**
 * The same application as `npm start`, in the test's process: clients still
 * talk to it over a real socket, and the test can look inside (the channel's
 * counters, the process's handles) to prove nothing leaks.
 */
export async function startInProcessPlatform(env: Record<string, string> = {}): Promise<InProcessPlatform> {
  const config = loadConfig({
    MESHSTREAM_LISTEN: "127.0.0.1:0",
    MESHSTREAM_HTTP_LISTEN: "127.0.0.1:0",
    MESHSTREAM_METRICS_LISTEN: "127.0.0.1:0",
    MESHSTREAM_DATA_DIR: tempDir("data"),
    MESHSTREAM_SCHEMAS_DIR: join(repoRoot, "schemas"),
    ...env,
  });
  const app = await NestFactory.createApplicationContext(AppModule.forConfig(config), { logger: ["error", "fatal"], abortOnError: false });
  const host = app.get(GrpcServerHost);
  const http = app.get(HttpServerHost).server;
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= app.close());
  onCleanup(close);
  return {
    address: host.server.address,
    httpUrl: http ? `http://${http.address}` : "",
    metricsAddress: app.get(MetricsListener).address,
    channel: app.get<EventChannel>(EVENT_CHANNEL),
    activeStreams: () => host.server.openStreams,
    openHttpCalls: () => http?.openCalls ?? 0,
    close,
  };
}
