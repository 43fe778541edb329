/** Longest quoted value, or unbroken run of characters, an error text keeps. */
export const maxQuoted = 200;

const ellipsis = "…";

/** Lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, which the ES2023 lib does not type). */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

/** At most `n` UTF-16 units of `s`, never splitting a surrogate pair. */
function head(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/**
 * An error text short enough to travel in a header: every quoted value
 * (`"…"`) and every run of characters without a space longer than
 * `maxQuoted` is cut there with "…", then the whole to `max` characters.
 * Linear in the text (a megabyte-long value is read once), and the result is
 * well-formed Unicode, which grpc-js needs to encode grpc-message.
 */
export function boundedText(text: string, max = 1024): string {
  if (text.length <= Math.min(maxQuoted, max)) return wellFormed(text);
  let out = "";
  let i = 0;
  while (i < text.length && out.length <= max) {
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const inner = text.slice(i + 1, Math.min(j, text.length));
      out += `"${inner.length > maxQuoted ? head(inner, maxQuoted) + ellipsis : inner}"`;
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== '"' && text[j] !== " ") j++;
      if (j === i) j++;
      const run = text.slice(i, j);
      out += run.length > maxQuoted ? head(run, maxQuoted) + ellipsis : run;
      i = j;
    }
  }
  if (out.length > max || i < text.length) out = head(out, max - 1) + ellipsis;
  return wellFormed(out);
}
