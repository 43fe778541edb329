/**
 * A CloudEvent as the platform stores and moves it: context attributes as
 * strings, extensions by name, data as the exact bytes the producer sent.
 */
export interface CloudEvent {
  readonly specversion: "1.0";
  readonly id: string;
  /** URI-reference. */
  readonly source: string;
  readonly type: string;
  /** RFC 3339. */
  readonly time?: string;
  readonly subject?: string;
  readonly datacontenttype?: string;
  /** URI of the schema version that validated the data. */
  readonly dataschema?: string;
  /** Extension attributes, e.g. `partitionkey`. */
  readonly extensions: Readonly<Record<string, string>>;
  readonly data?: Uint8Array;
}

export const requiredAttributes = ["id", "source", "specversion", "type"] as const;
export const optionalAttributes = ["time", "subject", "datacontenttype", "dataschema"] as const;

/** The key that orders events of one producer: the `partitionkey` extension, or else the subject. */
export function partitionKey(event: CloudEvent): string | undefined {
  return event.extensions.partitionkey ?? event.subject;
}
