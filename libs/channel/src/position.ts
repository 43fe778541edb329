import { InvalidPositionError } from "./errors";

/**
 * Where a reader stands: for every partition it reads, the offset of the next
 * record. It is what a Position encodes, so a reader that comes back with the
 * last position it saw resumes with no gap and no duplicate on every
 * partition, not only the one of its last event. Partitions absent from a
 * position are read from their earliest record.
 */
export type Cursor = Map<string, bigint>;

export const partitionId = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function splitPartitionId(id: string): { topic: string; partition: number } {
  const at = id.lastIndexOf("\u0000");
  return { topic: id.slice(0, at), partition: Number(id.slice(at + 1)) };
}

/** Opaque to clients: base64url of the [partition, next offset] pairs. */
export function encodePosition(cursor: Cursor): string {
  if (cursor.size === 1) {
    // The position of one stored event, made once per event on the ingest path.
    for (const [p, o] of cursor) return Buffer.from(JSON.stringify([[p, o.toString()]])).toString("base64url");
  }
  const pairs = [...cursor].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, o]) => [p, o.toString()]);
  return Buffer.from(JSON.stringify(pairs)).toString("base64url");
}

export function decodePosition(position: string): Cursor {
  let pairs: unknown;
  try {
    pairs = JSON.parse(Buffer.from(position, "base64url").toString("utf8"));
  } catch {
    throw new InvalidPositionError("not a position given by this platform");
  }
  if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && /^\d+$/.test(String(p[1])))) {
    throw new InvalidPositionError("not a position given by this platform");
  }
  return new Map((pairs as [string, string][]).map(([p, o]) => [p, BigInt(o)]));
}
