import { isUtf8 } from "node:buffer";
import { readNumber, type NumberText } from "./numbers";

/**
 * What the fast path must know about a document beyond JSON.parse's value,
 * gathered in one pass over its bytes: how many members its objects have
 * (fewer keys after parsing means a key was given twice, which CUE unifies
 * and JSON.parse overwrites), and which numbers were written as floats with
 * an integral value or are not faithful (see numbers.ts). Kept in one
 * reusable object: validation is synchronous, one document at a time.
 */
export class DocumentFacts {
  members = 0;
  /** Doubles of integral numbers written as floats (1.0, 1e2); past the capacity, every integral number is suspect. */
  readonly floatIntegers = new Float64Array(32);
  floatIntegerCount = 0;
  /** Doubles of numbers that are not faithful. */
  readonly unfaithful = new Float64Array(32);
  unfaithfulCount = 0;

  reset(): void {
    this.members = 0;
    this.floatIntegerCount = 0;
    this.unfaithfulCount = 0;
  }

  /** Whether `x` may have been written as a float (only asked of integral doubles). */
  maybeFloat(x: number): boolean {
    return has(this.floatIntegers, this.floatIntegerCount, x);
  }

  /** Whether `x` may be the double of a number that is not faithful. */
  maybeUnfaithful(x: number): boolean {
    return has(this.unfaithful, this.unfaithfulCount, x);
  }
}

function has(values: Float64Array, count: number, x: number): boolean {
  if (count > values.length) return true;
  for (let i = 0; i < count; i++) if (values[i] === x) return true;
  return false;
}

function add(values: Float64Array, count: number, x: number): number {
  if (count < values.length) values[count] = x;
  return count + 1;
}

export const facts = new DocumentFacts();

/** A document the fast path does not take: the engine reads it, and gives its verdict or its error. */
export const UNREADABLE: unique symbol = Symbol("unreadable");

const utf8 = new TextDecoder();
const number: NumberText = { float: false, faithful: false, extreme: false, value: NaN };
const latin1 = (bytes: Uint8Array, from: number, to: number) => Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString("latin1");

/**
 * Reads a document for the fast path: its value (JSON.parse, or `parsed`
 * when the caller has it already) with `facts` filled in; UNREADABLE for
 * anything the engine must read as `cue vet` does: not UTF-8 (the CLI
 * replaces bad bytes), a UTF-16 byte-order mark (the CLI decodes UTF-16), a
 * byte-order mark past the start or an unpaired surrogate escape (which CUE
 * refuses), numbers beyond a double, nesting deeper than `maxDepth`, and
 * anything that is not JSON.
 */
export function readDocument(bytes: Uint8Array, maxDepth: number, parsed?: unknown): unknown {
  facts.reset();
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes.length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))) return UNREADABLE;
  if (!scan(bytes, start, maxDepth)) return UNREADABLE;
  if (parsed !== undefined) return parsed;
  if (!isUtf8(bytes)) return UNREADABLE;
  try {
    // TextDecoder drops the byte-order mark (and beats Buffer#toString on small documents).
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return UNREADABLE;
  }
}

const hex = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);

/** The code unit of the `\uXXXX` escape at `i` (the backslash), or -1. */
function escapeAt(bytes: Uint8Array, i: number): number {
  if (i + 5 >= bytes.length || bytes[i] !== 0x5c || bytes[i + 1] !== 0x75) return -1;
  let unit = 0;
  for (let k = 2; k < 6; k++) {
    const h = hex(bytes[i + k]!);
    if (h < 0) return -1;
    unit = unit * 16 + h;
  }
  return unit;
}

function scan(bytes: Uint8Array, i: number, maxDepth: number): boolean {
  const end = bytes.length;
  let depth = 0;
  while (i < end) {
    const c = bytes[i]!;
    if (c === 0x22) {
      // A string: escapes, and the byte-order marks CUE's scanner refuses inside a document.
      for (i++; i < end; i++) {
        const s = bytes[i]!;
        if (s === 0x22) break;
        if (s === 0x5c) {
          const unit = escapeAt(bytes, i);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = escapeAt(bytes, i + 6);
            if (low < 0xdc00 || low > 0xdfff) return false;
            i += 11;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return false;
          } else i++;
        } else if (s === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) {
          return false;
        }
      }
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const from = i;
      i = readNumber(bytes, i, end, number);
      if (number.extreme) return false;
      if (!number.faithful) {
        facts.unfaithfulCount = add(facts.unfaithful, facts.unfaithfulCount, Number(latin1(bytes, from, i)));
      } else if (number.float && Number.isInteger(number.value)) {
        facts.floatIntegerCount = add(facts.floatIntegers, facts.floatIntegerCount, number.value);
      } else if (number.float && Number.isNaN(number.value)) {
        const value = Number(latin1(bytes, from, i));
        if (Number.isInteger(value)) facts.floatIntegerCount = add(facts.floatIntegers, facts.floatIntegerCount, value);
      }
      if (i === from) i++;
    } else {
      if (c === 0x7b || c === 0x5b) {
        if (++depth > maxDepth) return false;
      } else if (c === 0x7d || c === 0x5d) depth--;
      else if (c === 0x3a) facts.members++;
      else if (c === 0xef) return false;
      i++;
    }
  }
  return true;
}
