/** A filter the platform refuses, with the place in the filter (e.g. `filter.sql`) and why. */
export class FilterError extends Error {
  constructor(
    readonly code: "invalid_argument" | "not_found",
    message: string,
    readonly violations: readonly { readonly field: string; readonly description: string }[] = [],
  ) {
    super(message);
    this.name = "FilterError";
  }
}

/** An INVALID_ARGUMENT about one field of the filter; the message names it. */
export function invalid(field: string, description: string): FilterError {
  return new FilterError("invalid_argument", `${field}: ${description}`, [{ field, description }]);
}
