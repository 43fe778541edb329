import type { CesqlError, CesqlErrorKind } from "@meshstream/cesql";
import type { CloudEvent } from "@meshstream/cloudevents";
import { CloudEventView } from "./event-view";
import type { Clause } from "./prepare";

/** What one subscription's predicate saw. */
export interface FilterStats {
  /** Events the predicate was asked about (those that passed the type and source tests). */
  evaluated: number;
  matched: number;
  /** CESQL evaluation errors: each made its event not match. */
  errors: number;
  errorsByKind: Partial<Record<CesqlErrorKind, number>>;
}

/** The predicate of one subscription: shares the compiled filter, counts on its own. */
export interface FilterMatcher {
  /** Whether a decoded event matches; never throws (an expression error is a non-match, counted). */
  matches(event: CloudEvent): boolean;
  readonly stats: Readonly<FilterStats>;
}

/**
 * A filter compiled once and shared by identical subscriptions. The types
 * and sources are what a reader tests on a record's headers before decoding
 * it; `matcher()` gives the predicate for the decoded events, when there is
 * one.
 */
export interface CompiledFilter {
  /** The same for every spelling of the same filter. */
  readonly key: string;
  /** Data products whose logs the filter reads. */
  readonly products: readonly string[];
  /** Exact types to read (with `typePrefixes`; both empty: every type). */
  readonly types: readonly string[];
  readonly typePrefixes: readonly string[];
  /** Exact sources (empty: every source). */
  readonly sources: readonly string[];
  /** Whether decoded events must pass `matcher()`; false when types and sources decide alone. */
  readonly hasPredicate: boolean;
  matcher(): FilterMatcher;
}

export class ClauseMatcher implements FilterMatcher {
  readonly stats: FilterStats = { evaluated: 0, matched: 0, errors: 0, errorsByKind: {} };
  private readonly onError = (error: CesqlError) => {
    this.stats.errors++;
    this.stats.errorsByKind[error.kind] = (this.stats.errorsByKind[error.kind] ?? 0) + 1;
  };

  constructor(private readonly clauses: readonly Clause[]) {}

  matches(event: CloudEvent): boolean {
    this.stats.evaluated++;
    const view = new CloudEventView(event);
    for (const c of this.clauses) if (!evaluate(c, view, this.onError)) return false;
    this.stats.matched++;
    return true;
  }
}

function evaluate(c: Clause, view: CloudEventView, onError: (error: CesqlError) => void): boolean {
  switch (c.kind) {
    case "match": {
      // An event without the attribute does not match (Subscriptions API); that is not an error.
      const value = view.attribute(c.attribute);
      if (value === undefined) return false;
      const text = String(value);
      return c.how === "exact" ? text === c.value : c.how === "prefix" ? text.startsWith(c.value) : text.endsWith(c.value);
    }
    case "all":
      return c.clauses.every((n) => evaluate(n, view, onError));
    case "any":
      return c.clauses.some((n) => evaluate(n, view, onError));
    case "not":
      return !evaluate(c.clause, view, onError);
    case "sql":
      return c.expression.test(view, onError);
  }
}
