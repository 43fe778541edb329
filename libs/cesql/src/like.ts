/**
 * A LIKE pattern (spec §3.4.3): `%` matches any run of characters, `_` one
 * character (a Unicode code point), `\%`, `\_` and `\\` match `%`, `_` and
 * `\`; any other character, a backslash before anything else included,
 * matches itself (case sensitive). Compiled once per expression.
 *
 * Matching is the classic wildcard algorithm, which backtracks only to the
 * last `%`: O(text × pattern) at worst, never exponential as a regular
 * expression built from the pattern could be on a long data field.
 */
export type LikeMatcher = (text: string) => boolean;

const one = -1;
const many = -2;

export function likeMatcher(pattern: string): LikeMatcher {
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const next = pattern[i + 1];
    if (c === "\\" && (next === "%" || next === "_" || next === "\\")) {
      tokens.push(next.charCodeAt(0));
      i++;
    } else if (c === "%") {
      if (tokens.at(-1) !== many) tokens.push(many);
    } else if (c === "_") {
      tokens.push(one);
    } else {
      tokens.push(pattern.charCodeAt(i));
    }
  }
  return shortcut(tokens) ?? ((text) => matches(text, tokens));
}

/** Literal, prefix, suffix and infix patterns (the usual ones) as plain string operations. */
function shortcut(tokens: readonly number[]): LikeMatcher | undefined {
  const leading = tokens[0] === many;
  const trailing = tokens.length > 1 && tokens.at(-1) === many;
  const middle = tokens.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (middle.some((t) => t < 0)) return undefined;
  const literal = String.fromCharCode(...middle);
  if (leading && trailing) return (text) => text.includes(literal);
  if (leading) return (text) => text.endsWith(literal);
  if (trailing) return (text) => text.startsWith(literal);
  return (text) => text === literal;
}

/** Length in UTF-16 units of the code point at `i`. */
function width(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
}

function matches(text: string, tokens: readonly number[]): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const token = tokens[p];
    if (token === one) {
      t += width(text, t);
      p++;
    } else if (token === many) {
      star = p++;
      resume = t;
    } else if (token !== undefined && token === text.charCodeAt(t)) {
      t++;
      p++;
    } else if (star >= 0) {
      p = star + 1;
      resume += width(text, resume);
      t = resume;
    } else {
      return false;
    }
  }
  while (tokens[p] === many) p++;
  return p === tokens.length;
}
