import { Catalog } from "@meshstream/catalog";
import type { EventChannel } from "@meshstream/channel";
import { completeEvent, type CloudEvent, type EventDraft } from "@meshstream/cloudevents";
import { InvalidEventError, type Violation } from "@meshstream/validation";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { EVENT_CHANNEL } from "../channel/channel.module";

/**
 * The log of a product's rejected stream. Product names have no '.', so it
 * can be no product's own log, and no subscription filter resolves to it.
 */
export const rejectedStreamOf = (product: string) => `${product}.rejected`;

/** The CloudEvent extension that carries a rejected event's violations (JSON). */
const violationsExtension = "violations";

/**
 * Ingest-side dead letters: an event refused by validation, of a type
 * declared with `deadLetter: true`, is kept with its violations in its
 * product's rejected stream for the owners to inspect. The producer is
 * refused all the same.
 */
@Injectable()
export class RejectedStream {
  private readonly logger = new Logger("ingest");

  constructor(
    private readonly catalog: Catalog,
    @Inject(EVENT_CHANNEL) private readonly channel: EventChannel,
  ) {}

  /** Keeps the refused event if its type asks for it, then throws the refusal. */
  async keep(err: unknown, draft: EventDraft, data: Uint8Array): Promise<never> {
    const type = err instanceof InvalidEventError ? this.catalog.findEventType(draft.type) : undefined;
    if (type?.deadLetter) {
      const product = this.catalog.findDataProduct(type.dataProduct);
      const event = completeEvent({ ...draft, extensions: { ...draft.extensions, [violationsExtension]: JSON.stringify((err as InvalidEventError).violations) } }, { source: product?.source || `/${type.dataProduct}`, dataschema: "" }, data);
      try {
        await this.channel.publish([{ product: rejectedStreamOf(type.dataProduct), event: { ...event, dataschema: undefined } }]);
      } catch (storeErr) {
        // The producer hears of its invalid data either way; the operator hears that it was not kept.
        this.logger.warn({ msg: "a refused event could not be kept in the rejected stream", type: draft.type, error: String(storeErr) });
      }
    }
    throw err;
  }
}

/** A stored rejected event: the event as it was sent, and why it was refused. */
export function rejectedOf(stored: CloudEvent): { event: CloudEvent; violations: Violation[] } {
  const { [violationsExtension]: violations, ...extensions } = stored.extensions;
  return { event: { ...stored, extensions }, violations: JSON.parse(violations ?? "[]") as Violation[] };
}
