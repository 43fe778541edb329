import type { Value } from "./ast";
import { CesqlError } from "./errors";

/** The primitive types of CESQL (spec §3.1). */
export type CesqlType = "Boolean" | "Integer" | "String";
/** A type known only at run time: an attribute, an extension or a data field. */
export type StaticType = CesqlType | "Any";

export const minInteger = -2147483648;
export const maxInteger = 2147483647;

export function typeOf(value: Value): CesqlType {
  return typeof value === "string" ? "String" : typeof value === "number" ? "Integer" : "Boolean";
}

/** The value an operation returns with an error (spec §3.3); a type unknown before run time counts as Boolean (§3.2). */
export function zeroOf(type: StaticType): Value {
  return type === "Integer" ? 0 : type === "String" ? "" : false;
}

const integerText = /^[+-]?[0-9]+$/;

/**
 * String → Integer, Boolean → Integer (spec §3.7). A number is kept when it is
 * a 32-bit integer; other numbers can only come from JSON data, and CESQL
 * integers have 32 bits: a CastError.
 */
export function toInteger(value: Value): number {
  switch (typeof value) {
    case "number":
      if (Number.isInteger(value) && value >= minInteger && value <= maxInteger) return value;
      throw new CesqlError("cast", `${value} is not a 32-bit integer`, 0);
    case "boolean":
      return value ? 1 : 0;
    default: {
      const n = integerText.test(value) ? Number(value) : NaN;
      if (n >= minInteger && n <= maxInteger) return n === 0 ? 0 : n;
      throw new CesqlError("cast", `cannot cast ${JSON.stringify(value)} to Integer`, 0);
    }
  }
}

/**
 * Like toInteger, but any JSON number of the data is kept as it is, so that a
 * comparison with an integer is exact (`data.Age > 65` with 65.5).
 */
export function toNumber(value: Value): number {
  return typeof value === "number" ? value : toInteger(value);
}

/** String → Boolean ("true"/"false" in any case), Integer → Boolean (0 is false) (spec §3.7). */
export function toBoolean(value: Value): boolean {
  switch (typeof value) {
    case "boolean":
      return value;
    case "number":
      return value !== 0;
    default: {
      const lower = value.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      throw new CesqlError("cast", `cannot cast ${JSON.stringify(value)} to Boolean`, false);
    }
  }
}

/** Integer → String in base 10, Boolean → "true"/"false" (spec §3.7); never fails. */
export function toText(value: Value): string {
  return typeof value === "string" ? value : String(value);
}

export function castTo(type: StaticType, value: Value): Value {
  switch (type) {
    case "Integer":
      return toNumber(value);
    case "Boolean":
      return toBoolean(value);
    case "String":
      return toText(value);
    case "Any":
      return value;
  }
}
