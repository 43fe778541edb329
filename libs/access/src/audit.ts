/**
 * One audit line: every catalog change and every refusal. It names who
 * (never with a token), what method, which product and how it ended.
 */
export interface AuditEntry {
  /** The caller's name (`sub` or CN); "unknown" when authentication failed. */
  readonly principal: string;
  /** All the caller's principals, so that a refusal can be explained. */
  readonly principals?: readonly string[];
  readonly method: string;
  readonly product?: string;
  /** The role the call needed. */
  readonly role?: string;
  readonly outcome: "ok" | "failed" | "denied" | "unauthenticated";
  /** Why it was refused or failed. */
  readonly reason?: string;
  /** The transport's peer address, for refusals before anyone is known. */
  readonly peer?: string;
}

export type AuditSink = (entry: AuditEntry) => void;
