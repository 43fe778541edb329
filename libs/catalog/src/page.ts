import { CatalogError } from "./model";

export interface Page<T> {
  readonly items: T[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

const defaultSize = 50;
const maxSize = 1000;

/** Pages a list in a stable order; the token is the name of the last item given, so inserts do not shift pages. */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, pageSize: number, pageToken: string): Page<T> {
  const size = Math.min(pageSize || defaultSize, maxSize);
  let after = "";
  if (pageToken) {
    try {
      after = Buffer.from(pageToken, "base64url").toString("utf8");
    } catch {
      after = "";
    }
    if (!after) throw new CatalogError("invalid_argument", "invalid page_token");
  }
  const rest = after ? items.filter((i) => keyOf(i) > after) : [...items];
  const page = rest.slice(0, size);
  const more = rest.length > size;
  return { items: page, nextPageToken: more ? Buffer.from(keyOf(page[page.length - 1]!)).toString("base64url") : "" };
}
