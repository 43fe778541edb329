import type { EventChannel, OutgoingEvent } from "./event-channel";

interface Slot {
  /** Set once the preparation settled: the event, or why it cannot be published. */
  ready?: { readonly event: OutgoingEvent } | { readonly error: unknown };
  resolve(position: string): void;
  reject(err: unknown): void;
}

/**
 * Publishes the events of one stream in the order they were submitted,
 * though each is prepared (validated, wrapped) at its own pace: an event
 * the fast path validated does not overtake one the engine is still
 * validating. One call to the channel is in flight at a time, since the
 * channel orders a call's events but not calls in flight together: whatever
 * is ready at the head of the stream meanwhile goes in the next call, so
 * that the channel stores (per product, per key) in stream order and in
 * batches as large as the stream allows. An event whose preparation failed
 * is answered when its turn comes and holds nothing up.
 */
export class OrderedPublisher {
  private readonly slots: Slot[] = [];
  private head = 0;
  private scheduled = false;
  private publishing = false;

  constructor(
    /** The channel, or a wrapper of its publish (timing, metrics). */
    private readonly channel: Pick<EventChannel, "publish">,
    private readonly maxBatch = 5000,
  ) {}

  /** Resolves to the event's position once it is stored; rejects with the preparation's error or the channel's. */
  submit(prepared: OutgoingEvent | Promise<OutgoingEvent>): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const slot: Slot = { resolve, reject };
      this.slots.push(slot);
      if (!(prepared instanceof Promise)) {
        slot.ready = { event: prepared };
        this.schedule();
        return;
      }
      prepared.then(
        (event) => {
          slot.ready = { event };
          this.schedule();
        },
        (error: unknown) => {
          slot.ready = { error };
          this.schedule();
        },
      );
    });
  }

  /** One flush per turn of the event loop: what became ready meanwhile goes in one call. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Hands the ready head of the stream to the channel, in order, once the call before it has settled. */
  private flush(): void {
    if (this.publishing) return;
    const batch: Slot[] = [];
    const events: OutgoingEvent[] = [];
    while (this.head < this.slots.length && batch.length < this.maxBatch) {
      const slot = this.slots[this.head]!;
      if (!slot.ready) break;
      this.head++;
      if ("error" in slot.ready) slot.reject(slot.ready.error);
      else {
        batch.push(slot);
        events.push(slot.ready.event);
      }
    }
    // Drop what is done, now and then rather than at every event.
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
    if (events.length === 0) return;
    this.publishing = true;
    this.channel
      .publish(events)
      .then(
        (positions) => batch.forEach((s, i) => s.resolve(positions[i]!)),
        (err: unknown) => batch.forEach((s) => s.reject(err)),
      )
      .finally(() => {
        this.publishing = false;
        this.flush();
      });
  }
}
