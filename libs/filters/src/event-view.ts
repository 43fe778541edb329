import type { EventView, Value } from "@meshstream/cesql";
import type { CloudEvent } from "@meshstream/cloudevents";

const utf8 = new TextDecoder();
/**
 * The parsed data of each decoded event, read-only: subscribers that share
 * one decoded event (a Kafka topic's ring decodes once for all of them)
 * parse its data once.
 */
const parsed = new WeakMap<CloudEvent, unknown>();

/**
 * What a filter reads of one stored event: its attributes as strings (the
 * platform keeps extensions as strings), and its JSON data, parsed only when
 * an expression reads a `data.` field.
 */
export class CloudEventView implements EventView {
  constructor(private readonly event: CloudEvent) {}

  attribute(name: string): Value | undefined {
    const e = this.event;
    switch (name) {
      case "specversion":
        return e.specversion;
      case "id":
        return e.id;
      case "source":
        return e.source;
      case "type":
        return e.type;
      case "time":
        return e.time;
      case "subject":
        return e.subject;
      case "datacontenttype":
        return e.datacontenttype;
      case "dataschema":
        return e.dataschema;
      default:
        return Object.hasOwn(e.extensions, name) ? e.extensions[name] : undefined;
    }
  }

  data(path: readonly string[]): unknown {
    let node = parsed.get(this.event);
    if (node === undefined && !parsed.has(this.event)) parsed.set(this.event, (node = this.decode()));
    for (const key of path) {
      if (node === null || typeof node !== "object" || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  }

  /** Data was validated as JSON at ingest; an event without JSON data has no fields. A parse failure propagates (a generic error). */
  private decode(): unknown {
    const { data, datacontenttype } = this.event;
    if (!data || (datacontenttype !== undefined && !/json/i.test(datacontenttype))) return undefined;
    return JSON.parse(utf8.decode(data));
  }
}
