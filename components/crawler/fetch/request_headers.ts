/**
 * The headers a download sends: browser-like defaults, the request's `User-Agent`, extra
 * headers, and a Scrapy Cluster cookie string turned into one `Cookie` header (attributes
 * dropped). Values lose the characters `Headers` refuses, so a request's odd cookie or user agent
 * never makes a fetch throw.
 *
 * @module
 */

/** The `User-Agent` sent when the request names none. */
export const DEFAULT_USER_AGENT =
  "crawl-cluster/0.1 (+https://github.com/istresearch/scrapy-cluster)";

/** What decides the headers of a download (a subset of `FetchOptions`). */
export interface RequestHeaderOptions {
  /**
   * The `User-Agent` header; null or absent sends `headers["User-Agent"]` if given, else
   * {@linkcode DEFAULT_USER_AGENT}.
   */
  userAgent?: string | null;
  /**
   * A Scrapy Cluster cookie string (`"a=b; c=d"`), sent as the `Cookie` header; cookie
   * attributes (`expires`, `path`, `domain`, `max-age`, `secure`, `httponly`, `samesite`) are
   * dropped. Sent with the one request `fetchPage` makes; the crawler decides which hosts get it.
   */
  cookie?: string | null;
  /** Extra request headers; they replace the defaults of the same name (case-insensitive). */
  headers?: Record<string, string>;
}

const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "Accept-Language": "en",
  // Only what Deno's fetch decompresses by itself: it leaves `deflate` bodies compressed.
  "Accept-Encoding": "gzip, br",
});
const COOKIE_ATTRIBUTES = new Set([
  "expires",
  "path",
  "domain",
  "max-age",
  "secure",
  "httponly",
  "samesite",
]);

/** The headers to send, by the names they are sent with. */
export function buildRequestHeaders(opts: RequestHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = { "User-Agent": DEFAULT_USER_AGENT, ...BASE_HEADERS };
  if (opts.headers) {
    for (const [name, value] of Object.entries(opts.headers)) {
      const lower = name.toLowerCase();
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === lower) delete headers[existing];
      }
      headers[name] = _headerValue(value);
    }
  }
  if (opts.userAgent) {
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === "user-agent") delete headers[existing];
    }
    headers["User-Agent"] = _headerValue(opts.userAgent);
  }
  if (opts.cookie) {
    const cookie = cookieHeader(opts.cookie);
    if (cookie) {
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === "cookie") delete headers[existing];
      }
      headers.Cookie = cookie;
    }
  }
  return headers;
}

/** A header value without the characters `Headers` refuses (NUL, CR, LF). */
function _headerValue(value: string): string {
  return /[\0\r\n]/.test(value) ? value.replace(/[\0\r\n]+/g, " ") : value;
}

/**
 * The `Cookie` header for a Scrapy Cluster cookie string: `name=value` pairs separated by `;`,
 * with cookie attributes (`path=/`, `Secure`, ...) and empty or nameless parts dropped; `""`
 * when nothing is left.
 *
 * @example
 * ```ts
 * import { cookieHeader } from "./request_headers.ts";
 *
 * const header = cookieHeader("a=b; Path=/; c=d; HttpOnly; expires=Wed, 21 Oct 2015 07:28:00 GMT");
 * if (header !== "a=b; c=d") throw new Error(header);
 * ```
 */
export function cookieHeader(cookie: string): string {
  const pairs: string[] = [];
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!name || COOKIE_ATTRIBUTES.has(name.toLowerCase())) continue;
    if (eq < 0) continue; // a bare word is a flag attribute (Secure, HttpOnly) or noise
    pairs.push(`${name}=${part.slice(eq + 1).trim()}`);
  }
  return _headerValue(pairs.join("; "));
}
