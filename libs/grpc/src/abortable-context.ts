import type { CallError } from "./status";

/**
 * The cancellation of a call's context, for the gRPC and the HTTP face
 * alike: its AbortController is made only when the handler asks for the
 * signal or the call is aborted (client gone, shutdown). On Node 20 every
 * AbortSignal outlives the young generation's collections, and with it
 * everything the call held, and most unary handlers never look at theirs.
 * A class, for its getter: a getter in an object literal gives each object
 * a hidden class of its own, kept outside the young generation too.
 */
export abstract class AbortableContext {
  private controller?: AbortController;

  get signal(): AbortSignal {
    return this.abortable().signal;
  }

  /** Aborts the signal, whether the handler has asked for it yet or not. */
  abort(reason: CallError): void {
    this.abortable().abort(reason);
  }

  protected abortable(): AbortController {
    return (this.controller ??= new AbortController());
  }
}
