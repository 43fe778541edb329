/** The platform's PlatformMetrics, or null when MESHSTREAM_METRICS_LISTEN=off (every hook is then a no-op). */
export const PLATFORM_METRICS = Symbol("PLATFORM_METRICS");
