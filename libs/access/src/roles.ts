import type { Caller } from "./caller";

/**
 * The roles of a data product, as its declaration (`access:` in
 * product.cue) or the Catalog API sets them. Owners hold every role.
 */
export interface ProductAccess {
  readonly owners?: readonly string[];
  readonly producers?: readonly string[];
  readonly consumers?: readonly string[];
}

export type Role = "owner" | "producer" | "consumer";

/** Stands for any authenticated caller in a role list. */
export const anyCaller = "*";

const field: Record<Role, keyof ProductAccess> = { owner: "owners", producer: "producers", consumer: "consumers" };

/** Where a role is granted, for messages: "access.producers or access.owners". */
export const grantedBy = (role: Role) => (role === "owner" ? "access.owners" : `access.${field[role]} or access.owners`);

/**
 * The decision, a pure function: administrators may do anything; otherwise a
 * caller holds a role when one of its principals (or "*", for any
 * authenticated caller) is listed for that role or among the owners. A
 * product without access is for administrators only.
 */
export function holds(caller: Caller, role: Role, access: ProductAccess | undefined): boolean {
  if (caller.admin) return true;
  // Authenticated callers have at least one principal; the caller of an open method has none and matches nothing, not even "*".
  if (!access || caller.principals.size === 0) return false;
  const names = (list: readonly string[] | undefined) => list?.some((p) => p === anyCaller || caller.principals.has(p)) ?? false;
  return names(access.owners) || (role !== "owner" && names(access[field[role]]));
}
