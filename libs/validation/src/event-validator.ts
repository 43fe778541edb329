import type { Catalog, SchemaVersion } from "@meshstream/catalog";
import { CueLimitError, type CueEngine } from "@meshstream/cuelang-wasm";

/** One way in which event data fails its schema: field = CUE path, description = CUE's message. */
export interface Violation {
  readonly field: string;
  readonly description: string;
}

/** Data that does not satisfy its schema: INVALID_ARGUMENT, the status message being the first violation, as the seed prints it. */
export class InvalidEventError extends Error {
  readonly code = "invalid_argument";
  constructor(readonly violations: readonly Violation[]) {
    super(violations[0]?.description ?? "invalid event data");
    this.name = "InvalidEventError";
  }
}

/**
 * Data whose evaluation against its schema ran past a limit (time or
 * memory): INVALID_ARGUMENT, since sending it again would cost the same.
 */
export class SchemaLimitError extends Error {
  readonly code = "invalid_argument";
  constructor(message: string) {
    super(message);
    this.name = "SchemaLimitError";
  }
}

export interface Validated {
  readonly version: SchemaVersion;
  /** The data product that owns the type. */
  readonly product: string;
}

/**
 * Validates event data against the CUE schema of its type: the latest
 * version, or the one pinned. Compiled schemas are the catalog's, compiled
 * once per (type, version).
 */
export class EventValidator {
  constructor(
    private readonly catalog: Catalog,
    private readonly engine: CueEngine,
  ) {}

  async validate(type: string, pinnedVersion: number, json: Uint8Array | string): Promise<Validated> {
    const eventType = this.catalog.getEventType(type);
    const version = this.catalog.getSchemaVersion(type, pinnedVersion);
    const target = { schema: await this.catalog.schemaOf(version), definition: version.definition };
    // Grouped by product: the engine's workers are shared fairly between data products.
    const found = await this.engine.validate(target, json, { group: eventType.dataProduct }).catch((err: unknown) => {
      if (err instanceof CueLimitError) throw new SchemaLimitError(`${err.message} (${type}, schema version ${version.version})`);
      throw err;
    });
    if (found.length > 0) throw new InvalidEventError(found.map((v) => ({ field: v.path.join("."), description: v.message })));
    return { version, product: eventType.dataProduct };
  }
}
