/**
 * What the text of a number tells beyond its double. CUE keeps numbers as
 * exact decimals and tells int from float by how they are written (`1` is an
 * int, `1.0` and `1e0` are floats); JSON.parse keeps neither. A number is
 * *faithful* when its double says everything about it: at most 15
 * significant digits (any such decimal is the only one of its length that
 * rounds to its double) and a magnitude well inside the range of normal
 * doubles. Two faithful numbers compare as their doubles compare; any two
 * numbers whose doubles differ compare as their doubles do (rounding is
 * monotonic); what remains is equality of a number that is not faithful,
 * which the fast path leaves to the engine.
 */
export interface NumberText {
  /** Written with a fraction or an exponent: a CUE float. */
  float: boolean;
  faithful: boolean;
  /** Magnitude beyond what a double holds (or close to it): only the engine reads such a document. */
  extreme: boolean;
  /** The double, when faithful and cheap to compute exactly (NaN otherwise: use Number(text)). */
  value: number;
}

const maxMagnitude = 300;
const exact10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Reads the number that starts at `i` of `text` into
 * `out` and returns the index after it. Lenient: whatever follows a JSON
 * number is left to the JSON parser to refuse.
 */
export function readNumber(text: Uint8Array, i: number, end: number, out: NumberText): number {
  let negative = false;
  if (text[i]! === 0x2d) {
    negative = true;
    i++;
  }
  let digits = 0;
  let intDigits = 0;
  let firstNonZero = -1;
  let lastNonZero = -1;
  let mantissa = 0;
  let float = false;
  let c = 0;
  for (; i < end; i++) {
    c = text[i]!;
    if (isDigit(c)) {
      if (c !== 0x30) {
        if (firstNonZero < 0) firstNonZero = digits;
        lastNonZero = digits;
      }
      if (firstNonZero >= 0 && digits - firstNonZero < 15) mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (!float) intDigits++;
    } else if (c === 0x2e && !float) {
      float = true;
    } else break;
  }
  let exponent = 0;
  if (i < end && (c === 0x65 || c === 0x45)) {
    float = true;
    i++;
    let expNegative = false;
    if (i < end && (text[i]! === 0x2b || text[i]! === 0x2d)) expNegative = text[i++]! === 0x2d;
    for (; i < end && isDigit(text[i]!); i++) if (exponent < 1e9) exponent = exponent * 10 + (text[i]! - 0x30);
    if (expNegative) exponent = -exponent;
  }
  out.float = float;
  if (firstNonZero < 0) {
    out.faithful = true;
    out.extreme = false;
    out.value = negative ? -0 : 0;
    return i;
  }
  const significant = lastNonZero - firstNonZero + 1;
  const magnitude = exponent + intDigits - 1 - firstNonZero;
  out.extreme = magnitude > maxMagnitude || magnitude < -maxMagnitude;
  out.faithful = significant <= 15 && !out.extreme;
  out.value = NaN;
  if (out.faithful) {
    // The mantissa read up to 15 digits from the first non-zero one: drop the zeros after the last significant digit.
    const read = Math.min(15, digits - firstNonZero);
    let m = mantissa;
    for (let k = read - significant; k > 0; k--) m /= 10;
    const scale = exponent + intDigits - 1 - lastNonZero;
    // One correctly rounded operation on two exact doubles is the correctly rounded value (Clinger's fast path).
    if (scale >= 0 && scale <= 22) out.value = m * exact10[scale]!;
    else if (scale < 0 && scale >= -22) out.value = m / exact10[-scale]!;
    if (negative) out.value = -out.value;
  }
  return i;
}

/** The double and facts of a number written as text (a schema's constant). */
export function numberText(text: string): NumberText & { double: number } {
  const out: NumberText = { float: false, faithful: false, extreme: false, value: NaN };
  readNumber(Buffer.from(text, "latin1"), 0, text.length, out);
  return { ...out, double: Number.isNaN(out.value) ? Number(text) : out.value };
}
