/** Attribute name → value, for the `exact`, `prefix` and `suffix` dialects. */
export type AttributeValues = Readonly<Record<string, string>>;

/**
 * One filter expression of the CloudEvents Subscriptions API (spec §3.2.4.1),
 * in its JSON form: exactly one dialect.
 */
export type DialectFilter =
  | { readonly exact: AttributeValues }
  | { readonly prefix: AttributeValues }
  | { readonly suffix: AttributeValues }
  | { readonly all: readonly DialectFilter[] }
  | { readonly any: readonly DialectFilter[] }
  | { readonly not: DialectFilter }
  | { readonly sql: string };

/**
 * What a subscriber asks for, whatever the door (gRPC, HTTP, a durable
 * subscription): every part that is present must match. Empty lists match
 * everything for their attribute.
 */
export interface FilterSpec {
  /** Exact CloudEvents types. */
  readonly types?: readonly string[];
  /** Type prefixes. */
  readonly typePrefixes?: readonly string[];
  /** Exact CloudEvents sources. */
  readonly sources?: readonly string[];
  /** A CESQL v1 expression, with `data.<field>` paths. */
  readonly sql?: string;
  /** Subscriptions API filter expressions, all of which must match. */
  readonly filters?: readonly DialectFilter[];
}

export const dialects = ["exact", "prefix", "suffix", "all", "any", "not", "sql"] as const;
export type Dialect = (typeof dialects)[number];
