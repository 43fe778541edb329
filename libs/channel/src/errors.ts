/** The gRPC-free codes a channel error carries (the gRPC layer maps them to status codes). */
export type ChannelErrorCode = "unavailable" | "data_loss" | "invalid_argument" | "failed_precondition" | "internal";

/**
 * What the channel throws. A reader stopped by an error carries `position`:
 * where it resumes with no gap and no duplicate (start.after or a fetch cursor).
 */
export class ChannelError extends Error {
  /** Set (see at()) by the reader that knows where its consumer stands. */
  position?: string;

  constructor(
    readonly code: ChannelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ChannelError";
  }

  /**
   * This error for one reader, with where it resumes. A copy: one error (a
   * failed consumer's) may stop several readers, each at its own position.
   */
  at(position: string): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object, Object.getOwnPropertyDescriptors(this)) as this;
    copy.position = position;
    return copy;
  }

  /** Machine-readable detail for clients (google.rpc.ErrorInfo): the position to resume from, when known. */
  get info(): { reason: string; metadata: Record<string, string> } | undefined {
    return this.position === undefined ? undefined : { reason: this.code.toUpperCase(), metadata: { position: this.position } };
  }
}

/** The channel cannot take or give events now: callers answer UNAVAILABLE, never acknowledge. */
export class ChannelUnavailableError extends ChannelError {
  declare readonly code: "unavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super("unavailable", message, options);
    this.name = "ChannelUnavailableError";
  }
}

export class ChannelClosedError extends ChannelError {
  declare readonly code: "unavailable";
  constructor() {
    super("unavailable", "the event channel is closed");
    this.name = "ChannelClosedError";
  }
}

/** A position or cursor that this channel did not give out. */
export class InvalidPositionError extends ChannelError {
  declare readonly code: "invalid_argument";
  constructor(detail: string) {
    super("invalid_argument", `invalid position: ${detail}`);
    this.name = "InvalidPositionError";
  }
}

/**
 * Events a reader still had to read are gone from the log (retention, or
 * deleted records): it cannot continue without a gap, so it stops, and says
 * where the log resumes.
 */
export class EventsExpiredError extends ChannelError {
  declare readonly code: "data_loss";
  constructor(
    readonly partition: string,
    readonly from: bigint,
    /** The first offset the log still holds. */
    readonly resumeAt: bigint,
  ) {
    super("data_loss", `events ${from} to ${resumeAt - 1n} of ${describePartition(partition)} are no longer stored; the position in the error details resumes after them`);
    this.name = "EventsExpiredError";
  }
}

/** "topic partition n" for messages (partition ids join the two with a NUL). */
export function describePartition(partition: string): string {
  const at = partition.lastIndexOf("\u0000");
  return at < 0 ? partition : `${partition.slice(0, at)} partition ${partition.slice(at + 1)}`;
}
