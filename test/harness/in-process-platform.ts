import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventChannel } from "@meshstream/channel";
import { GrpcServerHost } from "@meshstream/grpc";
import { NestFactory } from "@nestjs/core";
import { AppModule } from "../../apps/platform/src/app.module";
import { EVENT_CHANNEL } from "../../apps/platform/src/channel/channel.module";
import { loadConfig } from "../../apps/platform/src/config/config";
import { repoRoot } from "./platform";

export interface InProcessPlatform {
  readonly address: string;
  /** The platform's own channel, for tests that assert on what it holds (stats()). */
  readonly channel: EventChannel;
  /** Streaming calls the gRPC server has open now. */
  activeStreams(): number;
  close(): Promise<void>;
}

/**
 * The same application as `npm start`, in the test's process: clients still
 * talk to it over a real socket, and the test can look inside (the channel's
 * counters, the process's handles) to prove nothing leaks.
 */
export async function startInProcessPlatform(env: Record<string, string> = {}): Promise<InProcessPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), "meshstream-data-"));
  const config = loadConfig({
    MESHSTREAM_LISTEN: "127.0.0.1:0",
    MESHSTREAM_DATA_DIR: dataDir,
    MESHSTREAM_SCHEMAS_DIR: join(repoRoot, "schemas"),
    ...env,
  });
  const app = await NestFactory.createApplicationContext(AppModule.forConfig(config), { logger: ["error", "fatal"], abortOnError: false });
  const host = app.get(GrpcServerHost);
  return {
    address: host.server.address,
    channel: app.get<EventChannel>(EVENT_CHANNEL),
    activeStreams: () => host.server.openStreams,
    close: async () => {
      try {
        await app.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
