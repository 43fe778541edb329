import type { Catalog } from "@meshstream/catalog";
import type { EventChannel, OutgoingEvent } from "@meshstream/channel";
import { PlatformMetrics } from "./metrics";

describe("PlatformMetrics", () => {
  const metrics = () => new PlatformMetrics({ catalog: {} as Catalog, channel: {} as EventChannel }, "embedded");
  const value = async (m: PlatformMetrics, name: string, labels: Record<string, string>) =>
    (await m.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;

  it("counts accepted events per product and type, whatever the order of a batch", async () => {
    const m = metrics();
    const e = (product: string, type: string) => ({ product, event: { type } }) as OutgoingEvent;
    m.accepted([e("hr", "a"), e("hr", "a"), e("hr", "b"), e("sales", "a"), e("hr", "a")]);
    m.accepted([e("hr", "b")]);
    expect(await value(m, "meshstream_ingest_events_total", { product: "hr", type: "a", outcome: "accepted" })).toBe(3);
    expect(await value(m, "meshstream_ingest_events_total", { product: "hr", type: "b", outcome: "accepted" })).toBe(2);
    expect(await value(m, "meshstream_ingest_events_total", { product: "sales", type: "a", outcome: "accepted" })).toBe(1);
  });

  it("counts validations by path at each read, and times the engine's only", async () => {
    const m = metrics();
    m.validatedFast();
    m.validatedFast();
    m.validatedByEngine(0.002);
    expect(await value(m, "meshstream_validations_total", { path: "fast" })).toBe(2);
    expect(await value(m, "meshstream_validations_total", { path: "engine" })).toBe(1);
    m.validatedFast();
    expect(await value(m, "meshstream_validations_total", { path: "fast" })).toBe(3);
    expect(await value(m, "meshstream_validation_duration_seconds", { path: "engine", le: "+Inf" })).toBe(1);
  });
});
