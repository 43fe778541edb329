/** Names whose values are secrets, whatever they hold (a path or a URL naming where a secret is, is not one). */
const secretName = /secret|passw(or)?d|passphrase|token|credential|api_?key|private_?key|^key$|signing_?key|cookie|authori[sz]ation|sasl/i;
const locationName = /(file|path|dir|url|uri)s?$/i;
/** Values that are secrets wherever they appear: PEM blocks and JSON Web Tokens. */
const secretValue = /-----BEGIN [A-Z ]+-----|^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;

export const REDACTED = "[redacted]";

/** A URL's password (or its lone user, which some schemes use as a token) hidden. */
function redactUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = REDACTED;
    else if (url.username) url.username = REDACTED;
    return url.toString();
  } catch {
    return REDACTED;
  }
}

/**
 * A copy of a configuration fit for a log line: values under secret-looking
 * names (all of an object under one, such as `sasl: {username, password}`),
 * PEM blocks, tokens and URL passwords replaced by "[redacted]". Settings
 * added later are covered by the same rules.
 */
export function redact(value: unknown, name = "", underSecret = false): unknown {
  const secret = underSecret || (secretName.test(name) && !locationName.test(name));
  if (Array.isArray(value)) return value.map((v) => redact(v, name, secret));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k, secret && !locationName.test(k))]));
  }
  if (secret && value !== undefined && value !== null && value !== "" && typeof value !== "boolean") return REDACTED;
  if (typeof value === "string") return secretValue.test(value) ? REDACTED : redactUrl(value);
  return value;
}
