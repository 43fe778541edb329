/** What the queue needs of a publish call: whether it is answered, and how many of its records are in flight. */
export interface QueuedCall {
  /** Answered already (stored, failed or timed out): its records still queued are not sent. */
  readonly settled: boolean;
  /** Its records in produce requests in flight: the rest of it waits for them. */
  requests: number;
}

/** One record waiting for a produce request. */
export interface QueuedRecord {
  /** When it was queued (performance.now()). */
  readonly at: number;
  /** What the record adds to a produce request, roughly. */
  readonly bytes: number;
  readonly call: QueuedCall;
}

export interface ProduceQueueOptions {
  /** Produce requests in flight at once: one per lane. */
  readonly lanes: number;
  /** Most records in one request. */
  readonly maxBatch: number;
  /** Most bytes of records in one request (one record larger goes alone). */
  readonly maxBatchBytes: number;
  /** See KafkaChannelOptions.lingerMs. */
  readonly lingerMs: number;
}

/**
 * Records waiting for produce requests, and the requests in flight: a free
 * lane takes the queue's head at once, so a publish that comes while a
 * request is out does not wait a round trip for it. A call's records go out
 * in its order (the rest of a call larger than one request waits until its
 * first part is stored); separate calls in flight together may be stored in
 * any order.
 */
export class ProduceQueue<R extends QueuedRecord> {
  private queue: R[] = [];
  private readonly idleLanes: number[];
  /** Set while the next request waits for more records (see lingerFor). */
  private lingering?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly options: ProduceQueueOptions,
    /** Sends one produce request through a lane (one at a time per lane) and settles its records' calls; never rejects. */
    private readonly send: (lane: number, batch: R[]) => Promise<void>,
  ) {
    this.idleLanes = Array.from({ length: options.lanes }, (_, i) => options.lanes - 1 - i);
  }

  /** Queues a call's records, in its order, and starts what can start. */
  push(records: readonly R[]): void {
    for (const r of records) this.queue.push(r);
    this.drain();
  }

  /** Stops sending; gives back the records not sent yet. */
  close(): R[] {
    this.closed = true;
    clearTimeout(this.lingering);
    return this.queue.splice(0);
  }

  private drain(): void {
    while (this.idleLanes.length > 0 && this.lingering === undefined && !this.closed) {
      let answered = 0;
      while (answered < this.queue.length && this.queue[answered]!.call.settled) answered++;
      if (answered > 0) this.queue.splice(0, answered);
      const head = this.queue[0];
      if (!head || head.call.requests > 0) return;
      const wait = this.lingerFor(head);
      if (wait > 0) {
        this.lingering = setTimeout(() => {
          this.lingering = undefined;
          this.drain();
        }, wait);
        return;
      }
      void this.start(this.idleLanes.pop()!, this.nextBatch());
    }
  }

  private async start(lane: number, batch: R[]): Promise<void> {
    for (const r of batch) r.call.requests++;
    try {
      await this.send(lane, batch);
    } finally {
      for (const r of batch) r.call.requests--;
      this.idleLanes.push(lane);
      this.drain();
    }
  }

  /**
   * A request started while another is in flight waits until its oldest
   * record is lingerMs old (Kafka's linger.ms), for more to join it; with
   * none in flight it goes at once.
   */
  private lingerFor(head: R): number {
    const { lingerMs, maxBatch, lanes } = this.options;
    const inFlight = this.idleLanes.length < lanes;
    if (lingerMs <= 0 || !inFlight || this.queue.length >= maxBatch) return 0;
    const wait = head.at + lingerMs - performance.now();
    return wait >= 1 ? wait : 0;
  }

  /** The queue's head, up to maxBatch records and maxBatchBytes (at least one record). */
  private nextBatch(): R[] {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.options.maxBatch) {
      bytes += this.queue[count]!.bytes;
      if (count > 0 && bytes > this.options.maxBatchBytes) break;
      count++;
    }
    return this.queue.splice(0, count);
  }
}
