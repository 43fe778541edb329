/**
 * Who is calling, as the access rules see it. Made once per call (per
 * stream, not per message) by the Authenticator, whatever the transport.
 */
export interface Caller {
  /** Who, in audit lines and messages: the token's `sub`, else the client certificate's CN. */
  readonly name: string;
  /** What roles may name: the `sub`, `group:<g>` for each group, the client certificate's CN. */
  readonly principals: ReadonlySet<string>;
  /** Named in MESHSTREAM_ADMINS, or access control is off: may do anything. */
  readonly admin: boolean;
}

/** Every caller when access control is off (MESHSTREAM_AUTH=none): the platform trusts whoever reaches it. */
export const trustedCaller = (name = "anonymous"): Caller => ({ name, principals: new Set(), admin: true });

/** The caller of an open method (health, reflection): nothing was checked, so it holds no role. */
export const unauthenticatedCaller: Caller = Object.freeze({ name: "unauthenticated", principals: new Set<string>(), admin: false });

export function callerOf(name: string, principals: Iterable<string>, admins: ReadonlySet<string>): Caller {
  const set = new Set(principals);
  return { name, principals: set, admin: [...set].some((p) => admins.has(p)) };
}
