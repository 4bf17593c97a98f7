/**
 * Where a crawl's `cookie` may go: only to the seed's registered domain and its subdomains
 * (`lib/web/domain.ts`: IP addresses, `localhost` and hosts without a public suffix are their
 * own domain). The seed's domain is recorded on every follow-up as `cookie_domain` (by
 * `followRequest` and by the redirect step), so the cookie never follows a link or a redirect
 * to another site.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scopedCookie } from "./cookie_scope.ts";
 *
 * const seed = { url: "http://www.example.com/", cookie: "a=1" };
 * assert.equal(scopedCookie(seed, "http://shop.example.com/x"), "a=1");
 * assert.equal(scopedCookie(seed, "http://example.org/"), null);
 * ```
 *
 * @module
 */

import { registeredDomain } from "../../../lib/web/mod.ts";

/** The request fields that decide the scope of its cookie. */
export interface CookieScopeFields {
  url: string;
  cookie?: string | null;
  /** The registered domain of the crawl's seed, recorded on follow-ups. */
  cookie_domain?: string | null;
  curdepth?: number;
}

/**
 * The registered domain the crawl's cookie belongs to: the recorded `cookie_domain`, else, for
 * a seed (depth 0), the domain of its own URL; null for a follow-up that carries none (made
 * without `followRequest`): such a request gets no crawl cookie.
 */
export function cookieDomainOf(req: CookieScopeFields): string | null {
  if (req.cookie_domain) return req.cookie_domain;
  if ((req.curdepth ?? 0) > 0) return null;
  return registeredDomain(req.url);
}

/** The crawl's cookie when `url` is in its scope, else null. */
export function scopedCookie(req: CookieScopeFields, url: string): string | null {
  if (!req.cookie) return null;
  const scope = cookieDomainOf(req);
  return scope !== null && registeredDomain(url) === scope ? req.cookie : null;
}

/**
 * The `cookie_domain` a follow-up of `parent` carries: only set when the crawl has a cookie
 * (nothing to scope otherwise).
 */
export function followUpCookieDomain(parent: CookieScopeFields): string | undefined {
  if (!parent.cookie) return undefined;
  return cookieDomainOf(parent) ?? undefined;
}
