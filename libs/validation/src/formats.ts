/**
 * String formats of CUE's builtins, each accepting only strings that the
 * builtin (Go) accepts; anything else goes to the engine, so these may be
 * narrower than Go but never wider.
 */

const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i) - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
};

/** The number written with `n` digits at `i`, or -1. */
function digits(s: string, i: number, n: number): number {
  let x = 0;
  for (let k = 0; k < n; k++) {
    const d = digit(s, i + k);
    if (d < 0) return -1;
    x = x * 10 + d;
  }
  return x;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** yyyy-mm-dd at the start of s, a real date. */
function date(s: string): boolean {
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  return year >= 0 && s.charCodeAt(4) === 0x2d && s.charCodeAt(7) === 0x2d && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year);
}

/**
 * `time.Time` and `time.Format(time.RFC3339)`: what Go's parseRFC3339 (the
 * fast path of time.Parse for these layouts) accepts. The slower parse Go
 * falls back to accepts a few more forms; those go to the engine.
 */
export function rfc3339(s: string): boolean {
  if (s.length < 20 || !date(s) || s.charCodeAt(10) !== 0x54 || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return false;
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = 19;
  if (s.charCodeAt(i) === 0x2e && digit(s, i + 1) >= 0) for (i += 2; digit(s, i) >= 0; i++);
  if (s.length - i === 1) return s.charCodeAt(i) === 0x5a;
  if (s.length - i !== 6) return false;
  const sign = s.charCodeAt(i);
  const zh = digits(s, i + 1, 2);
  const zm = digits(s, i + 4, 2);
  return (sign === 0x2b || sign === 0x2d) && s.charCodeAt(i + 3) === 0x3a && zh >= 0 && zh <= 23 && zm >= 0 && zm <= 59;
}

/** `time.Format("2006-01-02")`. */
export function dateOnly(s: string): boolean {
  return s.length === 10 && date(s);
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

function hexRun(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isHex(s.charCodeAt(i))) return false;
  return true;
}

function canonicalUuid(s: string, at: number): boolean {
  return (
    s.charCodeAt(at + 8) === 0x2d &&
    s.charCodeAt(at + 13) === 0x2d &&
    s.charCodeAt(at + 18) === 0x2d &&
    s.charCodeAt(at + 23) === 0x2d &&
    hexRun(s, at, at + 8) &&
    hexRun(s, at + 9, at + 13) &&
    hexRun(s, at + 14, at + 18) &&
    hexRun(s, at + 19, at + 23) &&
    hexRun(s, at + 24, at + 36)
  );
}

/** `uuid.Valid`: the four forms google/uuid's Validate accepts (the characters it checks are ASCII, so lengths agree with Go's). */
export function uuid(s: string): boolean {
  switch (s.length) {
    case 36:
      return canonicalUuid(s, 0);
    case 45:
      return s.slice(0, 9).toLowerCase() === "urn:uuid:" && /^[\x00-\x7f]{9}$/.test(s.slice(0, 9)) && canonicalUuid(s, 9);
    case 38:
      return s.charCodeAt(0) === 0x7b && s.charCodeAt(37) === 0x7d && canonicalUuid(s, 1);
    case 32:
      return hexRun(s, 0, 32);
    default:
      return false;
  }
}

/** `net.IPv4` on a string: netip.ParseAddr's dotted quad (no leading zeros), nothing else. */
export function ipv4(s: string): boolean {
  let fields = 0;
  let i = 0;
  while (i <= s.length) {
    let value = 0;
    let n = 0;
    for (; n < 4; n++) {
      const d = digit(s, i + n);
      if (d < 0) break;
      value = value * 10 + d;
    }
    if (n === 0 || n > 3 || value > 255 || (n > 1 && s.charCodeAt(i) === 0x30)) return false;
    fields++;
    i += n;
    if (i === s.length) return fields === 4;
    if (s.charCodeAt(i) !== 0x2e || fields === 4) return false;
    i++;
  }
  return false;
}
