import { ConsoleLogger, type LogLevel as NestLogLevel } from "@nestjs/common";
import { currentCall } from "@meshstream/grpc";
import type { LogLevel } from "../config/config";

const ordered: readonly NestLogLevel[] = ["fatal", "error", "warn", "log", "debug", "verbose"];
const upTo = (level: LogLevel) => ordered.slice(0, ordered.indexOf(level) + 1);

/**
 * Nest's JSON-lines logger, plus: every line written for a gRPC call carries
 * that call's `requestId` and `traceId`, and the level can change at run time.
 */
export class PlatformLogger extends ConsoleLogger {
  private level: LogLevel;

  constructor(private readonly configured: LogLevel) {
    super("meshstream", { json: true, logLevels: upTo(configured) });
    this.level = configured;
  }

  get currentLevel(): LogLevel {
    return this.level;
  }

  /**
   * SIGHUP's action: from the configured level to `debug` (every call logged)
   * and back; when `debug` or `verbose` is configured, the other side is `log`.
   */
  toggleLevel(): LogLevel {
    const other: LogLevel = this.configured === "debug" || this.configured === "verbose" ? "log" : "debug";
    this.level = this.level === this.configured ? other : this.configured;
    this.setLogLevels(upTo(this.level));
    this.announce({ msg: "log level changed", level: this.level });
    return this.level;
  }

  /** A line written whatever the level (the start banner, a level change): an operator must always see these. */
  announce(message: Record<string, unknown>): void {
    this.printMessages([message], "meshstream", "log");
  }

  protected override getJsonLogObject(message: unknown, options: Parameters<ConsoleLogger["getJsonLogObject"]>[1]) {
    const line = super.getJsonLogObject(message, options);
    const call = currentCall();
    if (!call) return line;
    return call.traceId ? { ...line, requestId: call.requestId, traceId: call.traceId } : { ...line, requestId: call.requestId };
  }
}
