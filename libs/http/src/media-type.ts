import { httpProblem, HttpProblemError } from "./problem";

/** The media type of a Content-Type or Accept entry: lower case, parameters dropped. */
export const mediaTypeOf = (value: string | undefined) => (value ?? "").split(";")[0]!.trim().toLowerCase();

/** application/json, text/json and any +json suffix (RFC 6839). */
export const isJsonMediaType = (type: string) => type === "application/json" || type === "text/json" || /^[a-z]+\/[^;]+\+json$/.test(type);

export function unsupportedMediaType(got: string | undefined, expected: string): HttpProblemError {
  return new HttpProblemError(
    httpProblem("unsupported-media-type", 415, "Unsupported Media Type", `${got ? `content type ${mediaTypeOf(got)} is not accepted here` : "the request has no content type"}: send ${expected}`),
  );
}

/**
 * The first of `offered` that the Accept header allows (q > 0), in the
 * client's order of preference; `offered[0]` when there is no Accept header.
 */
export function negotiate(accept: string | undefined, offered: readonly string[]): string | undefined {
  if (!accept) return offered[0];
  const ranges = accept
    .split(",")
    .map((part, i) => {
      const [range, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
      const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? 1);
      return { range: range!, q: Number.isNaN(q) ? 0 : q, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { range } of ranges) {
    const found = offered.find((o) => range === o || range === "*/*" || (range.endsWith("/*") && o.startsWith(range.slice(0, -1))));
    if (found) return found;
  }
  return undefined;
}
