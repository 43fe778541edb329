/** The channel cannot take or give events now: callers answer UNAVAILABLE, never acknowledge. */
export class ChannelUnavailableError extends Error {
  readonly code = "unavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChannelUnavailableError";
  }
}

export class ChannelClosedError extends Error {
  readonly code = "unavailable";
  constructor() {
    super("the event channel is closed");
    this.name = "ChannelClosedError";
  }
}

/** A position or cursor that this channel did not give out. */
export class InvalidPositionError extends Error {
  readonly code = "invalid_argument";
  constructor(detail: string) {
    super(`invalid position: ${detail}`);
    this.name = "InvalidPositionError";
  }
}
