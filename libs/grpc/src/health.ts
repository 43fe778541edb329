import { EventEmitter } from "node:events";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@meshstream/proto";
import type { ServiceImpl } from "./service-impl";
import { CallError } from "./status";

export { ServingStatus };

/**
 * grpc.health.v1, served like any other service so that its Watch streams are
 * ended by shutdown too (a library's watchers would hold the server open
 * until the grace ran out).
 */
export class HealthService implements ServiceImpl<typeof Health> {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly changed = new EventEmitter().setMaxListeners(0);

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    this.changed.emit("change", service);
  }

  get services(): string[] {
    return [...this.statuses.keys()];
  }

  async check(request: { service: string }) {
    const status = this.statuses.get(request.service);
    if (status === undefined) throw new CallError("not_found", `unknown service ${request.service}`);
    return { status };
  }

  async list() {
    return { statuses: Object.fromEntries([...this.statuses].map(([service, status]) => [service, { status }])) };
  }

  async *watch(request: { service: string }, ctx: { signal: AbortSignal }) {
    let last: ServingStatus | undefined;
    while (!ctx.signal.aborted) {
      const status = this.statuses.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
      if (status !== last) yield { status };
      last = status;
      await this.nextChange(request.service, ctx.signal);
    }
  }

  private nextChange(service: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.changed.off("change", onChange);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const onChange = (s: string) => s === service && done();
      this.changed.on("change", onChange);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

export { Health };
