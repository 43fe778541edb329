import { ChannelError, EventsExpiredError, InvalidPositionError, describePartition } from "./errors";
import type { ChannelFilter, Delivery, FetchPage, StartPosition } from "./event-channel";
import { matcher } from "./filter";
import type { PartitionedLog, StoredRecord } from "./partitioned-log";
import { decodePosition, encodePosition, type Cursor } from "./position";

const batch = 256;
/** A fetch keeps filling a page this long while records are stored but few match; its cursor then says where to go on. */
const fillMs = 1000;

/**
 * Where a reader starts on each partition. A position must name only
 * partitions the filter reads, at offsets the log has given out; one whose
 * events are no longer stored is refused with EventsExpiredError, whose
 * position resumes where the log now starts (never silently).
 */
export async function startCursor(log: PartitionedLog, partitions: readonly string[], start: StartPosition): Promise<Cursor> {
  const cursor: Cursor = new Map();
  const given = start.kind === "after" ? decodePosition(start.position) : undefined;
  for (const p of given?.keys() ?? []) {
    if (!partitions.includes(p)) throw new InvalidPositionError(`it names ${describePartition(p)}, which this filter does not read`);
  }
  let expired: EventsExpiredError | undefined;
  for (const p of partitions) {
    const { low, high } = await log.bounds(p);
    let offset: bigint;
    switch (start.kind) {
      case "latest":
        offset = high;
        break;
      case "earliest":
        offset = low;
        break;
      case "time":
        offset = await log.offsetForTime(p, start.time);
        break;
      case "after":
        offset = given!.get(p) ?? low;
        if (offset > high) throw new InvalidPositionError(`offset ${offset} of ${describePartition(p)} is past its end (${high})`);
        if (offset < low) expired ??= new EventsExpiredError(p, offset, low);
        break;
    }
    // Records before `low` are gone (retention): the earliest and time starts begin with what is left.
    cursor.set(p, offset < low ? low : offset);
  }
  if (expired) throw atPosition(expired, cursor);
  return cursor;
}

/** Sets on a channel error where its reader resumes: the cursor, moved past what the log no longer has. */
function atPosition(err: unknown, cursor: Cursor): unknown {
  if (!(err instanceof ChannelError) || (err.code !== "unavailable" && err.code !== "data_loss")) return err;
  const resume = new Map(cursor);
  if (err instanceof EventsExpiredError) resume.set(err.partition, err.resumeAt);
  return err.at(encodePosition(resume));
}

/**
 * The position after a record for readers of its partition alone: the same
 * for all of them (a hundred subscribers of a one-partition product), so
 * made once per record (a record belongs to one partition).
 */
const soloPositions = new WeakMap<StoredRecord, string>();
function soloPosition(partition: string, r: StoredRecord): string {
  let position = soloPositions.get(r);
  if (position === undefined) soloPositions.set(r, (position = encodePosition(new Map([[partition, r.offset + 1n]]))));
  return position;
}

/**
 * Reads the next matching records, partition by partition in turn, and
 * advances the cursor past every record read, matching or not. The log
 * gives each partition's records from exactly the cursor on, consecutive; a
 * read that fails after others succeeded returns what they gave, with the
 * error for later, so that nothing the cursor passed is lost.
 */
async function readOnce(
  log: PartitionedLog,
  cursor: Cursor,
  accept: ReturnType<typeof matcher>,
  max: number,
  signal: AbortSignal,
  predicate?: ChannelFilter["predicate"],
): Promise<{ deliveries: Delivery[]; advanced: boolean; error?: unknown }> {
  const out: Delivery[] = [];
  let advanced = false;
  for (const [partition, from] of cursor) {
    if (out.length >= max) break;
    let records;
    try {
      records = await log.read(partition, from, Math.min(batch, max - out.length), signal);
    } catch (err) {
      return { deliveries: out, advanced, error: atPosition(err, cursor) };
    }
    advanced ||= records.length > 0;
    for (const r of records) {
      cursor.set(partition, r.offset + 1n);
      if (accept(r.type, r.source)) {
        const event = r.decode();
        if (!predicate || predicate(event)) out.push({ event, position: cursor.size === 1 ? soloPosition(partition, r) : encodePosition(cursor), partition, offset: r.offset });
      }
      if (out.length >= max) break;
    }
  }
  return { deliveries: out, advanced };
}

/**
 * A subscription as an async generator: it reads only when its consumer
 * pulls. It is counted in `active` while it runs and released however it
 * ends: the consumer breaking out of its loop, `outer` aborting, or the
 * channel closing (which aborts every reader in `active`). One generator,
 * not one wrapped in another: each level costs every delivery its promises.
 */
export async function* subscribeLog(
  log: PartitionedLog,
  filter: ChannelFilter,
  start: StartPosition,
  active: Set<AbortController>,
  outer: AbortSignal | undefined,
  onReady?: () => void,
): AsyncGenerator<Delivery> {
  const { signal, release: leave } = enter(active, outer);
  let announced: readonly string[] | undefined;
  let wake: AbortController | undefined;
  let unwatch: (() => void) | undefined;
  const releases: (() => void)[] = [];
  let cursor: Cursor | undefined;
  try {
    unwatch = filter.watchProducts?.((products) => {
      announced = products;
      wake?.abort();
    });
    const partitions = await log.partitions(filter.products);
    releases.push(await log.retain(partitions));
    cursor = await startCursor(log, partitions, start);
    // Products added later start where this subscription started: at this time for "latest", from their earliest record after a position.
    const later: StartPosition = start.kind === "latest" ? { kind: "time", time: new Date() } : start.kind === "after" ? { kind: "earliest" } : start;
    onReady?.();
    const accept = matcher(filter);
    while (!signal.aborted) {
      if (announced) {
        const products = announced;
        announced = undefined;
        const added = (await log.partitions(products)).filter((p) => !cursor!.has(p));
        if (added.length > 0) {
          releases.push(await log.retain(added));
          for (const [p, offset] of await startCursor(log, added, later)) cursor.set(p, offset);
        }
      }
      const { deliveries, advanced, error } = await readOnce(log, cursor, accept, batch, signal, filter.predicate);
      for (const d of deliveries) {
        if (signal.aborted) return;
        yield d;
      }
      if (error) throw error;
      if (!advanced && !announced) {
        // Woken by the end of the subscription (also one that came during the read) or by new products.
        wake = new AbortController();
        const onAbort = () => wake?.abort();
        signal.addEventListener("abort", onAbort, { once: true });
        if (signal.aborted) wake.abort();
        try {
          await log.waitForAppend(cursor, wake.signal, 30_000);
        } finally {
          signal.removeEventListener("abort", onAbort);
          wake = undefined;
        }
      }
    }
  } finally {
    unwatch?.();
    if (cursor) log.forget(cursor);
    for (const release of releases) release();
    leave();
  }
}

export async function fetchLog(log: PartitionedLog, filter: ChannelFilter, cursorText: string | undefined, max: number, waitMs: number, signal: AbortSignal): Promise<FetchPage> {
  const partitions = await log.partitions(filter.products);
  const release = await log.retain(partitions);
  try {
    const cursor = await startCursor(log, partitions, cursorText ? { kind: "after", position: cursorText } : { kind: "earliest" });
    const accept = matcher(filter);
    const started = Date.now();
    const deadline = started + waitMs;
    const out: Delivery[] = [];
    for (;;) {
      const { deliveries, advanced, error } = await readOnce(log, cursor, accept, max - out.length, signal, filter.predicate);
      out.push(...deliveries);
      if (error) {
        // A page already read is given; the error comes again with the next page.
        if (out.length === 0) throw error;
        break;
      }
      const now = Date.now();
      if (out.length >= max || signal.aborted) break;
      // More is stored but few records match (a sparse filter): keep filling the page, for a while.
      if (advanced && (now - started < fillMs || (out.length === 0 && now < deadline))) continue;
      if (out.length > 0 || now >= deadline || advanced) break;
      await log.waitForAppend(cursor, signal, deadline - now);
    }
    return { deliveries: out, cursor: encodePosition(cursor) };
  } finally {
    // Unlike a subscription's, a fetch's replay consumer is kept (not forgotten): the next page continues from it.
    release();
  }
}

/** An abort controller for one reader, counted in `active` and following `outer`, until `release`. */
function enter(active: Set<AbortController>, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  if (outer?.aborted) controller.abort();
  active.add(controller);
  const release = () => {
    controller.abort();
    outer?.removeEventListener("abort", onAbort);
    active.delete(controller);
  };
  return { signal: controller.signal, release };
}

/** Runs one read counted in `active` while it runs, ended by `outer` or by the channel closing. */
export async function guarded<T>(active: Set<AbortController>, outer: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, release } = enter(active, outer);
  try {
    return await run(signal);
  } finally {
    release();
  }
}
