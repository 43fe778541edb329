import type { Catalog, SchemaVersion } from "@meshstream/catalog";
import { CueLimitError, type CueEngine } from "@meshstream/cuelang-wasm";
import { compileValidator, type FastValidator } from "./fast-validator";

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
  /** The data product that owns the type... */
  readonly product: string;
  /** ...and its CloudEvents source. */
  readonly source: string;
}

/** Validations decided by the fast path and by the engine, since start. */
export interface ValidationCounts {
  fast: number;
  engine: number;
}

/**
 * Validates event data against the CUE schema of its type: the latest
 * version, or the one pinned. Two tiers: the fast path (a validator
 * compiled once per schema version, on this thread) accepts what it can
 * prove valid; everything else (invalid data, constructs it does not
 * cover) goes to the engine's workers, which give the verdict and every
 * error message. So a message never depends on the tier.
 */
export class EventValidator {
  private readonly fast = new Map<string, FastValidator | null>();
  private readonly compiling = new Map<string, Promise<FastValidator | null>>();
  /**
   * (type, pinned version) → what it resolves to, looked up once rather than
   * per event; forgotten when this catalog changes, and after a second at
   * most (another instance sharing the catalog may have registered a version).
   */
  private readonly resolved = new Map<string, { readonly validated: Validated; readonly at: number }>();
  readonly counts: ValidationCounts = { fast: 0, engine: 0 };

  constructor(
    private readonly catalog: Catalog,
    private readonly engine: CueEngine,
  ) {
    catalog.watch((change) => {
      this.resolved.clear();
      // A version registered at run time gets its fast path before its first event.
      if (change.kind === "schemaVersion") void this.fastValidator(change.value);
    });
  }

  /**
   * The fast path alone, synchronously: the event's schema when it proves
   * the data valid, undefined when only validate() can tell (the data may
   * be invalid, or the schema version's fast path is not compiled yet).
   * Throws the catalog's errors (unknown type or version).
   */
  tryFast(type: string, pinnedVersion: number, json: Uint8Array, parsed?: unknown): Validated | undefined {
    const validated = this.resolve(type, pinnedVersion);
    if (!this.fast.get(versionKey(validated.version))?.accepts(json, parsed)) return undefined;
    this.counts.fast++;
    return validated;
  }

  /**
   * `json` is the data as sent; `parsed` its value when the caller has it
   * already (a google.protobuf.Struct), so that it is not parsed twice.
   */
  async validate(type: string, pinnedVersion: number, json: Uint8Array, parsed?: unknown): Promise<Validated> {
    const validated = this.resolve(type, pinnedVersion);
    const { version } = validated;
    const key = versionKey(version);
    const fast = this.fast.has(key) ? this.fast.get(key) : await this.fastValidator(version);
    if (fast?.accepts(json, parsed)) {
      this.counts.fast++;
      return validated;
    }
    this.counts.engine++;
    const target = { schema: await this.catalog.schemaOf(version), definition: version.definition };
    // Grouped by product: the engine's workers are shared fairly between data products.
    const found = await this.engine.validate(target, json, { group: validated.product }).catch((err: unknown) => {
      if (err instanceof CueLimitError) throw new SchemaLimitError(`${err.message} (${type}, schema version ${version.version})`);
      throw err;
    });
    if (found.length > 0) throw new InvalidEventError(found.map((v) => ({ field: v.path.join("."), description: v.message })));
    return validated;
  }

  private resolve(type: string, pinnedVersion: number): Validated {
    const key = `${type}\n${pinnedVersion}`;
    const now = Date.now();
    const known = this.resolved.get(key);
    if (known && now - known.at < 1000) return known.validated;
    const eventType = this.catalog.getEventType(type);
    const version = this.catalog.getSchemaVersion(type, pinnedVersion);
    const validated = { version, product: eventType.dataProduct, source: this.catalog.getDataProduct(eventType.dataProduct).source };
    this.resolved.set(key, { validated, at: now });
    return validated;
  }

  /** The fast path of a version, compiled once; null when the engine cannot give a program (the engine then validates everything). */
  private fastValidator(version: SchemaVersion): Promise<FastValidator | null> {
    const key = versionKey(version);
    let compiling = this.compiling.get(key);
    if (!compiling) {
      compiling = (async () => {
        const schema = await this.catalog.schemaOf(version);
        const program = await this.engine.validatorProgram({ schema, definition: version.definition });
        return compileValidator(program);
      })().catch(() => null);
      this.compiling.set(key, compiling);
      void compiling.then((v) => this.fast.set(key, v));
    }
    return compiling;
  }
}

const versionKey = (v: SchemaVersion) => `${v.type}@${v.version}`;
