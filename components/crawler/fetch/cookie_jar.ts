/**
 * Cookies set by the sites a crawl visits, with the rules of RFC 6265 as `tough-cookie`
 * implements them (Domain and Path matching, host-only cookies, Expires / Max-Age, Secure
 * cookies only over https, public suffixes refused): {@linkcode acceptSetCookies} turns a
 * response's `Set-Cookie` headers into the entries to store, {@linkcode jarCookieString} turns
 * stored entries into the `Cookie` value for a URL, {@linkcode mergeCookies} adds the crawl's
 * own cookie. Storage is someone else's job (the crawler keeps entries in Redis per crawl and
 * registered domain: `pipeline/cookie_store.ts`). HttpOnly does not matter here: every request
 * is an HTTP request. SameSite is not enforced (a crawler has no "site for cookies").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptSetCookies, jarCookieString } from "./cookie_jar.ts";
 *
 * const url = "http://www.example.com/login";
 * const entries = await acceptSetCookies(["sid=1; Path=/; Domain=example.com"], url);
 * const stored = entries.flatMap((e) => e.value === null ? [] : [e.value]);
 * assert.equal(await jarCookieString(stored, "http://shop.example.com/"), "sid=1");
 * assert.equal(await jarCookieString(stored, "http://example.org/"), "");
 * ```
 *
 * @module
 */

import { Cookie, CookieJar, MemoryCookieStore } from "tough-cookie";
import { cookieHeader } from "./request_headers.ts";

/** `Set-Cookie` headers looked at per response; the rest are ignored. */
export const MAX_SET_COOKIES_PER_RESPONSE = 50;
/** A cookie longer than this (name, value and attributes) is ignored, as browsers do. */
export const MAX_COOKIE_BYTES = 4096;

/** One change to a stored jar: `value` null deletes the entry (the cookie expired). */
export interface CookieEntry {
  /** `<domain>\t<path>\t<name>`: a cookie replaces the one with the same field. */
  field: string;
  /** The cookie as JSON (`Cookie.toJSON()`), or null to delete. */
  value: string | null;
}

/** Options of {@linkcode acceptSetCookies} and {@linkcode jarCookieString}. */
export interface CookieTimeOptions {
  /** @default {new Date()} */
  now?: Date;
}

/**
 * The entries a response's `Set-Cookie` headers give: cookies the rules refuse for `url`
 * (another domain, a public suffix, unparsable) are left out; an expired cookie (`Max-Age=0`,
 * a past `Expires`) becomes a deletion.
 */
export async function acceptSetCookies(
  setCookies: readonly string[],
  url: string,
  opts: CookieTimeOptions = {},
): Promise<CookieEntry[]> {
  const now = opts.now ?? new Date();
  const jar = new CookieJar(new MemoryCookieStore());
  const entries: CookieEntry[] = [];
  for (const header of setCookies.slice(0, MAX_SET_COOKIES_PER_RESPONSE)) {
    if (header.length > MAX_COOKIE_BYTES) continue;
    let cookie: Cookie | undefined;
    try {
      cookie = await jar.setCookie(header, url, { ignoreError: true, now });
    } catch {
      continue; // a URL tough-cookie cannot use: nothing to keep
    }
    if (cookie === undefined || !cookie.domain) continue;
    const field = `${cookie.domain}\t${cookie.path ?? "/"}\t${cookie.key}`;
    // Max-Age counts from now: stored as an absolute Expires, so reading never shifts it.
    const expiry = cookie.expiryTime(now);
    if (typeof cookie.maxAge === "number") {
      cookie.maxAge = null;
      cookie.expires = new Date(Math.max(0, expiry ?? 0));
    }
    const expired = expiry !== undefined && expiry <= now.getTime();
    entries.push({ field, value: expired ? null : JSON.stringify(cookie.toJSON()) });
  }
  return entries;
}

/**
 * The `Cookie` header value that stored entries (`CookieEntry.value`s) give for `url`: only
 * the cookies whose domain, path, expiry and Secure flag allow it; "" when none do.
 */
export async function jarCookieString(
  stored: Iterable<string>,
  url: string,
  opts: CookieTimeOptions = {},
): Promise<string> {
  const store = new MemoryCookieStore();
  for (const json of stored) {
    let cookie: Cookie | undefined;
    try {
      cookie = Cookie.fromJSON(json);
    } catch {
      continue;
    }
    if (cookie) await store.putCookie(cookie);
  }
  const now = (opts.now ?? new Date()).getTime();
  let cookies: Cookie[];
  try {
    // Expiry is checked below, against `now`: getCookies would use the clock.
    cookies = await new CookieJar(store).getCookies(url, { expire: false, sort: true });
  } catch {
    return "";
  }
  return cookies
    .filter((c) => {
      const expiry = c.expiryTime();
      return expiry === undefined || expiry > now;
    })
    .map((c) => c.cookieString())
    .join("; ");
}

/**
 * The `Cookie` value to send: the crawl's own cookie (a Scrapy Cluster cookie string, or null
 * when out of scope) and the cookies a site set; a site's cookie replaces the crawl's cookie
 * of the same name (the site's answer is newer). Null when there is nothing to send.
 */
export function mergeCookies(crawlCookie: string | null, siteCookies: string): string | null {
  if (!siteCookies) return crawlCookie;
  const pairs = new Map<string, string>();
  for (const source of [crawlCookie ?? "", siteCookies]) {
    for (const pair of cookieHeader(source).split("; ")) {
      const eq = pair.indexOf("=");
      if (eq > 0) pairs.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  const merged = [...pairs].map(([name, value]) => `${name}=${value}`).join("; ");
  return merged || null;
}
