/**
 * Response header names as Scrapy writes them into result items. Scrapy's `Headers` normalises
 * every name with Python's `bytes.title()` (`content-type` → `Content-Type`, `etag` → `Etag`,
 * `x-xss-protection` → `X-Xss-Protection`), and Scrapy Cluster's `reconstruct_headers` turns
 * them into name → list of values. The fetcher keeps lower-case names for the crawler's own
 * lookups (`location`, `set-cookie`); only the published item uses these.
 *
 * @example
 * ```ts
 * import { scrapyHeaderName } from "./header_names.ts";
 * if (scrapyHeaderName("x-xss-protection") !== "X-Xss-Protection") throw new Error();
 * ```
 *
 * @module
 */

/**
 * Python's `bytes.title()`, which Scrapy applies to header names: an ASCII letter is
 * upper-cased when the character before it is not an ASCII letter (start, `-`, digit, ...),
 * lower-cased otherwise; every other character is kept. Header names are ASCII tokens, and
 * Scrapy holds them as bytes, so non-ASCII letters are left as they are (as `bytes.title()` does).
 */
export function scrapyHeaderName(name: string): string {
  let out = "";
  let afterLetter = false;
  for (const char of name) {
    const letter = /^[A-Za-z]$/.test(char);
    out += letter ? (afterLetter ? char.toLowerCase() : char.toUpperCase()) : char;
    afterLetter = letter;
  }
  return out;
}

/**
 * An item's `response_headers`: Scrapy's names, each → the list of its values (several
 * `Set-Cookie` headers stay several values), names in sorted order as Scrapy Cluster's
 * sorted-keys JSON writes them.
 */
export function scrapyResponseHeaders(
  headers: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  const merged = new Map<string, string[]>();
  for (const [name, values] of Object.entries(headers)) {
    const title = scrapyHeaderName(name);
    merged.set(title, [...(merged.get(title) ?? []), ...values]);
  }
  const out: Record<string, string[]> = {};
  for (const name of [...merged.keys()].sort()) out[name] = merged.get(name)!;
  return out;
}
