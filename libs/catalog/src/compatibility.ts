import type { CueViolation, Definition } from "@meshstream/cuelang-wasm";

/** How a new schema version of an event type must relate to the earlier ones. */
export type CompatibilityPolicy = "BACKWARD" | "BACKWARD_TRANSITIVE" | "FORWARD" | "FORWARD_TRANSITIVE" | "FULL" | "FULL_TRANSITIVE" | "NONE";

/** The one engine call compatibility needs (CueEngine has it). */
export interface Subsumption {
  subsumes(general: Definition, specific: Definition): Promise<CueViolation[]>;
}

/** A schema version as compatibility sees it. */
export interface VersionedDefinition extends Definition {
  readonly version: number;
}

export interface Incompatibility {
  /** Path of the field, in CUE notation. */
  readonly field: string;
  readonly description: string;
}

/** A new version the policy refuses: FAILED_PRECONDITION, naming the fields. */
export class IncompatibleSchemaError extends Error {
  readonly code = "failed_precondition";
  constructor(
    readonly policy: CompatibilityPolicy,
    readonly violations: readonly Incompatibility[],
  ) {
    super(`schema is not ${policy} compatible: ${violations.map((v) => v.description).join("; ")}`);
    this.name = "IncompatibleSchemaError";
  }
}

/**
 * Checks a candidate against the earlier versions (oldest first), by CUE
 * subsumption. BACKWARD: every document valid against an earlier version is
 * valid against the candidate, so consumers on the new schema read old data.
 * FORWARD: the reverse, so consumers still on an earlier schema read new data.
 * FULL: both. Plain policies compare with the latest version only,
 * *_TRANSITIVE ones with every earlier version. Resolves to what breaks it,
 * empty when the candidate is compatible.
 */
export async function incompatibilities(
  engine: Subsumption,
  policy: CompatibilityPolicy,
  candidate: Definition,
  earlier: readonly VersionedDefinition[],
): Promise<Incompatibility[]> {
  if (policy === "NONE" || earlier.length === 0) return [];
  const against = policy.endsWith("_TRANSITIVE") ? earlier : earlier.slice(-1);
  const backward = policy.startsWith("BACKWARD") || policy.startsWith("FULL");
  const forward = policy.startsWith("FORWARD") || policy.startsWith("FULL");
  const found: Incompatibility[] = [];
  for (const old of against) {
    const checks: [string, Definition, Definition][] = [];
    if (backward) checks.push([`documents valid against version ${old.version} must stay valid`, candidate, old]);
    if (forward) checks.push([`documents valid against the new version must be valid against version ${old.version}`, old, candidate]);
    for (const [rule, general, specific] of checks) {
      for (const v of await engine.subsumes(general, specific)) {
        const field = v.path.join(".");
        found.push({ field, description: `${rule}: ${v.message}` });
      }
    }
  }
  return found;
}
