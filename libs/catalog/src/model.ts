import type { CompatibilityPolicy } from "./compatibility";

export interface DataProduct {
  readonly name: string;
  readonly owner: string;
  readonly description: string;
  /** Default CloudEvents `source` of the product's events. */
  readonly source: string;
  readonly createTime: string;
  /** Who may change, publish to and read the product; absent: administrators only (once access control is on). */
  readonly access?: DataProductAccess;
}

/**
 * Principals per role: a token's `sub`, `group:<name>`, a client
 * certificate's CN, or "*" (any authenticated caller; not among owners).
 * The decision itself is libs/access's.
 */
export interface DataProductAccess {
  readonly owners: readonly string[];
  readonly producers: readonly string[];
  readonly consumers: readonly string[];
}

/**
 * A change of a product's access after its creation, numbered 1, 2, … per
 * product like schema versions, so that concurrent changes on any instance
 * are ordered by the store and the latest one is the product's access.
 */
export interface AccessRevision {
  readonly product: string;
  readonly revision: number;
  readonly access: DataProductAccess;
}

export interface EventType {
  /** CloudEvents `type`, unique in the catalog. */
  readonly type: string;
  readonly dataProduct: string;
  readonly description: string;
  readonly compatibility: CompatibilityPolicy;
  /** Refused events of this type are kept in the product's rejected stream. */
  readonly deadLetter?: boolean;
  /** The CUE definition event data must satisfy, e.g. "#Identity". */
  readonly definition: string;
  readonly latestVersion: number;
  readonly createTime: string;
}

export interface SchemaVersion {
  readonly type: string;
  readonly version: number;
  readonly cueSource: string;
  readonly definition: string;
  /** sha256 of definition and source: the same pair registered again is the same version. */
  readonly fingerprint: string;
  /** What events validated by it carry in `dataschema`. */
  readonly uri: string;
  readonly createTime: string;
}

/** Errors in the platform's shared vocabulary (see libs/grpc status mapping). */
export class CatalogError extends Error {
  constructor(
    readonly code: "invalid_argument" | "not_found" | "already_exists" | "failed_precondition" | "aborted" | "unavailable",
    message: string,
    readonly violations?: readonly { field: string; description: string }[],
  ) {
    super(message);
    this.name = "CatalogError";
  }
}
