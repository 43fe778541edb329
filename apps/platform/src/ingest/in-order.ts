/**
 * Results of a stream's requests, which settle in any order, given back in
 * request order as soon as the oldest is ready: a client that waits for its
 * answers before it sends more gets them, whatever the window. At most
 * `window` results are held; `room()` waits for a place.
 */
export class InOrder<T> implements AsyncIterable<T> {
  private readonly slots: { ready: boolean; value?: T }[] = [];
  private head = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeReader?: () => void;
  private wakeWriter?: () => void;

  constructor(private readonly window: number) {}

  /** Resolves once fewer than `window` results are held. */
  room(): Promise<void> | undefined {
    if (this.slots.length - this.head < this.window) return undefined;
    return new Promise<void>((resolve) => (this.wakeWriter = resolve));
  }

  /** The next result, in request order. */
  add(result: Promise<T>): void {
    const slot: { ready: boolean; value?: T } = { ready: false };
    this.slots.push(slot);
    void result.then((value) => {
      slot.ready = true;
      slot.value = value;
      if (slot === this.slots[this.head]) this.wake();
    });
  }

  /** No more results will be added; `error` fails the iteration once the results before it are given. */
  end(error?: unknown): void {
    this.ended = true;
    if (error !== undefined) this.failure = { error };
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.head < this.slots.length && this.slots[this.head]!.ready) {
        const slot = this.slots[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.slots.length) {
          this.slots.splice(0, this.head);
          this.head = 0;
        }
        const writer = this.wakeWriter;
        this.wakeWriter = undefined;
        writer?.();
        yield slot.value as T;
      }
      if (this.ended && this.head === this.slots.length) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  private wake(): void {
    const reader = this.wakeReader;
    this.wakeReader = undefined;
    reader?.();
  }
}
