import type { ChannelFilter } from "./event-channel";

/** Decides on the type and source alone, so records that do not match are never decoded. */
export function matcher(filter: ChannelFilter): (type: string | undefined, source: string | undefined) => boolean {
  const types = new Set(filter.types ?? []);
  const prefixes = filter.typePrefixes ?? [];
  const sources = new Set(filter.sources ?? []);
  const anyType = types.size === 0 && prefixes.length === 0;
  return (type, source) =>
    (anyType || (type !== undefined && (types.has(type) || prefixes.some((p) => type.startsWith(p))))) &&
    (sources.size === 0 || (source !== undefined && sources.has(source)));
}
