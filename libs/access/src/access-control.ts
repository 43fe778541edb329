import { AccessError } from "./access-error";
import type { AuditSink } from "./audit";
import type { Caller } from "./caller";
import { grantedBy, holds, type ProductAccess, type Role } from "./roles";

/** What a check needs to know of the call, whatever the transport (the gRPC CallContext is one). */
export interface AccessCall {
  readonly caller: Caller;
  /** e.g. "meshstream.v1.IngestService/Publish", for the audit line. */
  readonly method: string;
}

export interface AccessControlOptions {
  /** The roles of a data product; undefined when it has none or does not exist. */
  readonly accessOf: (product: string) => ProductAccess | undefined;
  /** The data product an event type belongs to; undefined for an unknown type. */
  readonly productOf: (type: string) => string | undefined;
  readonly audit: AuditSink;
  /**
   * How long a decision is reused before it is taken again. Changes made on
   * this instance call invalidate() and apply at once; this bounds how long a
   * change made on another instance (a shared Kafka catalog) takes to apply.
   */
  readonly decisionTtlMs?: number;
}

interface Decision {
  readonly allowed: boolean;
  readonly generation: number;
  readonly until: number;
}

const verbs: Record<Role, string> = { owner: "change", producer: "publish to", consumer: "read" };

/**
 * The one place where the platform decides per data product. Decisions are
 * cached per caller and product (a stream of events to one product looks its
 * roles up once), dropped on every local change of the catalog, and expire.
 */
export class AccessControl {
  private generation = 0;
  private readonly decisions = new WeakMap<Caller, Map<string, Decision>>();
  private readonly ttlMs: number;

  constructor(private readonly options: AccessControlOptions) {
    this.ttlMs = options.decisionTtlMs ?? 1000;
  }

  /** Whether the caller holds the role on the product. No audit: for narrowing, not refusing. */
  permits(caller: Caller, role: Role, product: string): boolean {
    return this.decide(caller, role, product, () => product);
  }

  /** Refuses with PERMISSION_DENIED, naming the product and the missing role, and audits the refusal. */
  require(call: AccessCall, role: Role, product: string): void {
    if (!this.permits(call.caller, role, product)) this.deny(call, role, product);
  }

  /**
   * As require(), for the product of an event type: what ingest asks per
   * event and a subscription per delivery, answered from the cache without
   * any catalog lookup after the first event of a type. An unknown type passes: there is nothing to
   * protect, and validation answers NOT_FOUND.
   */
  requireForType(call: AccessCall, role: Role, type: string): void {
    if (!this.decide(call.caller, role, `type:${type}`, () => this.options.productOf(type))) this.deny(call, role, this.options.productOf(type)!);
  }

  private decide(caller: Caller, role: Role, key: string, productOf: () => string | undefined): boolean {
    if (caller.admin) return true;
    let mine = this.decisions.get(caller);
    if (!mine) this.decisions.set(caller, (mine = new Map()));
    const cacheKey = `${role}\u0000${key}`;
    const now = Date.now();
    const cached = mine.get(cacheKey);
    if (cached && cached.generation === this.generation && cached.until > now) return cached.allowed;
    const product = productOf();
    if (product === undefined) return true;
    const allowed = holds(caller, role, this.options.accessOf(product));
    mine.set(cacheKey, { allowed, generation: this.generation, until: now + this.ttlMs });
    return allowed;
  }

  private deny(call: AccessCall, role: Role, product: string): never {
    const missing = this.options.accessOf(product) ? `the ${role} role is missing (${grantedBy(role)})` : "it has no access set, so only administrators may";
    const reason = `${call.caller.name} may not ${verbs[role]} data product ${product}: ${missing}`;
    this.options.audit({ ...who(call), product, role, outcome: "denied", reason });
    throw new AccessError("permission_denied", reason);
  }

  /**
   * Of these products, those the caller may read: what a filter that names
   * no type reads. None of several: PERMISSION_DENIED, rather than a
   * subscription that waits for ever on nothing.
   */
  readable(call: AccessCall, products: readonly string[]): string[] {
    const readable = products.filter((p) => this.permits(call.caller, "consumer", p));
    if (readable.length === 0 && products.length > 0) {
      const reason = `${call.caller.name} may read no data product: it holds the consumer role of none (${grantedBy("consumer")})`;
      this.options.audit({ ...who(call), role: "consumer", outcome: "denied", reason });
      throw new AccessError("permission_denied", reason);
    }
    return readable;
  }

  /**
   * A change to a data product (its types, schemas or access), which only
   * its owners and administrators may make: checked, run, and audited with
   * its outcome. Decisions cached before it are dropped.
   */
  async change<T>(call: AccessCall, product: string, run: () => Promise<T>): Promise<T> {
    this.require(call, "owner", product);
    try {
      const result = await run();
      this.options.audit({ ...who(call), product, role: "owner", outcome: "ok" });
      return result;
    } catch (err) {
      this.options.audit({ ...who(call), product, role: "owner", outcome: "failed", reason: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      this.invalidate();
    }
  }

  /** Forgets every cached decision: the catalog changed. */
  invalidate(): void {
    this.generation++;
  }
}

function who(call: AccessCall) {
  return { principal: call.caller.name, principals: [...call.caller.principals], method: call.method };
}
