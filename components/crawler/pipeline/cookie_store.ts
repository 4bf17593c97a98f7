/**
 * A crawl's cookies on the wire: {@linkcode requestCookie} is the `Cookie` a download sends
 * (the crawl's own `cookie`, only inside the seed's registered domain, plus the cookies sites
 * set for this crawl and the target's domain), {@linkcode keepResponseCookies} stores what a
 * response's `Set-Cookie` headers set. Site cookies live in Redis per crawl and registered
 * domain (`<spiderid>:cookies:<crawlid>:<domain>:jar`, expiring with the crawl's dupefilter),
 * so every crawler of the cluster sends them back, and never to another crawl (a jar read empty
 * is not read again for a while unless a crawler announces a cookie stored in it:
 * `recent_keys.ts`). With
 * `COOKIES_ENABLED` false (Scrapy's setting) no cookie at all is sent or kept.
 *
 * @module
 */

import { cookieChannel, cookieJarKey } from "../../../lib/frontier/mod.ts";
import { registeredDomain } from "../../../lib/web/mod.ts";
import { acceptSetCookies, jarCookieString, mergeCookies } from "../fetch/cookie_jar.ts";
import { scopedCookie } from "../fetch/cookie_scope.ts";
import type { FetchedPage, QueuedRequest } from "../spider.ts";
import type { CrawlContext } from "./context.ts";

/** What the cookie functions need of the crawler's context. */
export type CookieContext = Pick<CrawlContext, "redis" | "spiderid" | "settings" | "emptyJars">;

/** The `Cookie` value to send with `req` to `url` (its absolute URL); null for none. */
export async function requestCookie(
  ctx: CookieContext,
  req: QueuedRequest,
  url: string,
): Promise<string | null> {
  if (!ctx.settings.COOKIES_ENABLED) return null;
  const crawlCookie = scopedCookie(req, url);
  const domain = registeredDomain(url);
  if (domain === null) return crawlCookie;
  const key = cookieJarKey(ctx.spiderid, req.crawlid, domain);
  if (ctx.emptyJars.has(key)) return crawlCookie;
  const stored = await ctx.redis.hvals(key);
  if (stored.length === 0) {
    ctx.emptyJars.add(key);
    return crawlCookie;
  }
  return mergeCookies(crawlCookie, await jarCookieString(stored, url));
}

/** Stores (or deletes, when expired) the cookies `page`'s `Set-Cookie` headers set. */
export async function keepResponseCookies(
  ctx: CookieContext,
  req: QueuedRequest,
  page: FetchedPage,
): Promise<void> {
  const headers = page.headers["set-cookie"];
  if (!ctx.settings.COOKIES_ENABLED || !headers?.length) return;
  const domain = registeredDomain(page.responseUrl);
  if (domain === null) return;
  const entries = await acceptSetCookies(headers, page.responseUrl);
  if (entries.length === 0) return;
  const key = cookieJarKey(ctx.spiderid, req.crawlid, domain);
  const tx = ctx.redis.multi();
  let stored = false;
  for (const { field, value } of entries) {
    if (value === null) tx.hdel(key, field);
    else {
      tx.hset(key, field, value);
      stored = true;
    }
  }
  tx.expire(key, ctx.settings.DUPEFILTER_TIMEOUT);
  // Crawlers that remember this jar as empty read it again (recent_keys.ts).
  if (stored) tx.publish(cookieChannel(ctx.spiderid), key);
  await tx.exec();
  if (stored) ctx.emptyJars.forget(key);
}
