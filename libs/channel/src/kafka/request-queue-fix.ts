/**
 * kafkajs 2.2.4, its last release, keeps a timer running every millisecond on
 * each connection for as long as the connection lives: after every answer its
 * request queue schedules a check of its pending requests, even when none is
 * pending and no throttle is in force. The delay is then `-1 - Date.now()`,
 * which Node takes as 1 ms (Node 24 also prints a TimeoutNegativeWarning).
 * Upstream: tulios/kafkajs#1556, #1704 and #1751, with fixes proposed (#1667)
 * but not released. Every client of the platform has this loop: the producer
 * thread, the tails, the stores and the probe. Measured on an idle platform on
 * Kafka (Node 24): 5.5% of a core and 22,756 context switches of its main
 * thread in its first ~35 s, against 1.7% and 3,357 with this fix.
 *
 * This applies the fix proposed upstream: no check is scheduled while nothing
 * is pending and no throttle is in force. A request that has to wait is
 * pushed to `pending`, and pushing it schedules its check. An answer checks
 * the queue straight away. So nothing that waits goes unchecked.
 * `request-queue-fix.spec.ts` pins the kafkajs version this was read against.
 */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const patched = Symbol.for("meshstream.kafkajs.requestQueueFix");
const RequestQueue = require("kafkajs/src/network/requestQueue") as { prototype: RequestQueueInternals & { [patched]?: true } };

if (!RequestQueue.prototype[patched]) {
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  RequestQueue.prototype[patched] = true;
}

export {};
