import type { OutgoingEvent } from "@meshstream/channel";
import { InvalidEventError } from "@meshstream/validation";
import { Inject, Injectable } from "@nestjs/common";
import type { PlatformMetrics } from "./metrics";
import { PLATFORM_METRICS } from "./tokens";
import { endSpan, inSpan, platformTracer } from "./tracing";

const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * What ingest reports, in as few calls as the controller can make: a span and
 * a latency for validation and for the channel write, and each event's
 * outcome. Metrics are skipped entirely when they are off.
 */
@Injectable()
export class IngestInstruments {
  constructor(@Inject(PLATFORM_METRICS) private readonly metrics: PlatformMetrics | null) {}

  /**
   * A validation performed (valid or not; a type that does not exist is no
   * validation), in one "validate" span unless `traced` is false: the fast
   * path's verdict when it has one, returned synchronously (no promise for
   * the common case), else the engine's.
   */
  validate<T>(fast: () => T | undefined, engine: () => Promise<T>, traced = true): T | Promise<T> {
    const metrics = this.metrics;
    const span = traced ? platformTracer().startSpan("validate") : undefined;
    let proven: T | undefined;
    try {
      proven = fast();
    } catch (err) {
      span?.end();
      throw err;
    }
    if (proven !== undefined) {
      metrics?.validatedFast();
      span?.end();
      return proven;
    }
    const started = metrics ? performance.now() : 0;
    return (span ? endSpan(span, engine()) : engine()).then(
      (validated) => {
        metrics?.validatedByEngine(seconds(started));
        return validated;
      },
      (err: unknown) => {
        if (err instanceof InvalidEventError) metrics?.validatedByEngine(seconds(started));
        throw err;
      },
    );
  }

  /** The channel write of valid events, in a "store" span unless `traced` is false: accepted once durable, refused (unavailable) otherwise. */
  async store(events: readonly OutgoingEvent[], write: () => Promise<string[]>, traced = true): Promise<string[]> {
    const started = performance.now();
    try {
      const positions = await (traced ? inSpan("store", write) : write());
      this.metrics?.written(seconds(started));
      this.metrics?.accepted(events);
      return positions;
    } catch (err) {
      for (const { event } of events) this.metrics?.refused(event.type, err);
      throw err;
    }
  }

  refused(type: string | undefined, err: unknown): void {
    this.metrics?.refused(type, err);
  }
}
