/**
 * Step 1b: a redirect (301, 302, 303, 307 or 308 with a `Location`), followed as Scrapy's
 * RedirectMiddleware does it, through the frontier: the target becomes a request of its own,
 * enqueued like any follow-up (dupefilter, blacklist, expiry, domain limits), so it is fetched
 * by a later pop that pays its own throttle hit and passes the network guard and robots.txt
 * like every fetch. The 3xx itself publishes no item; the final page's item carries the first
 * URL of the chain as `url` and its own `response_url`.
 *
 * The follow-up keeps every field of the request (a redirect is not a link: same depth, same
 * crawl cookie scope), with priority + `REDIRECT_PRIORITY_ADJUST` (Scrapy's default 2: the
 * redirect is finished before new links), `redirect_times` + 1, and the chain in
 * `redirect_urls` / `redirect_reasons` (Scrapy's meta names). Its retry count starts again.
 * Beyond `REDIRECT_MAX_TIMES` redirects, or when the Location is not an http(s) URL, the
 * request is given up (logged, counted as `fail`).
 *
 * @module
 */

import { encodeRequest } from "../../../../lib/api/mod.ts";
import { enqueueRequests } from "../../../../lib/frontier/mod.ts";
import { registeredDomain, requestFingerprint } from "../../../../lib/web/mod.ts";
import { type CrawlContext, type CrawlEvent, crawlOf } from "../context.ts";
import { delivering } from "../errors.ts";
import { followUpCookieDomain } from "../../fetch/cookie_scope.ts";
import type { FetchedPage, QueuedRequest } from "../../spider.ts";

/** Where a redirect response points: absolute, without fragment; null unless http(s). */
export function redirectTarget(page: Pick<FetchedPage, "headers" | "responseUrl">): string | null {
  const location = page.headers["location"]?.[0];
  if (location === undefined) return null;
  let target: URL;
  try {
    target = new URL(location.trim(), page.responseUrl);
  } catch {
    return null;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return null;
  target.hash = "";
  return target.href;
}

/** The request for the target of the redirect `page` answered to `req`. */
export function redirectRequest(
  req: QueuedRequest,
  page: Pick<FetchedPage, "status" | "responseUrl">,
  target: string,
  priorityAdjust: number,
): QueuedRequest {
  const { retry_times: _r, dont_filter: _d, ...rest } = req;
  const next: QueuedRequest = {
    ...rest,
    url: target,
    priority: req.priority + priorityAdjust,
    redirect_times: (req.redirect_times ?? 0) + 1,
    redirect_urls: [...(req.redirect_urls ?? []), page.responseUrl],
    redirect_reasons: [...(req.redirect_reasons ?? []), page.status],
  };
  const scope = followUpCookieDomain(req);
  if (scope !== undefined) next.cookie_domain = scope;
  return next;
}

/**
 * Enqueues the target of the redirect `page` (or gives the request up); resolves with what
 * happened, for `onDone`. The caller acknowledges the lease afterwards.
 */
export async function redirectStep(
  ctx: CrawlContext,
  req: QueuedRequest,
  page: FetchedPage,
): Promise<CrawlEvent> {
  const max = ctx.settings.REDIRECT_MAX_TIMES;
  const target = redirectTarget(page);
  if (target === null) {
    const location = page.headers["location"]?.[0] ?? "";
    return giveUp(ctx, req, `HTTP ${page.status} to an unusable Location: ${location}`);
  }
  if ((req.redirect_times ?? 0) >= max) {
    return giveUp(ctx, req, `more than ${max} redirects (last to ${target})`);
  }
  const domain = registeredDomain(target);
  if (domain === null) return giveUp(ctx, req, `HTTP ${page.status} to a URL without host`);
  const next = redirectRequest(req, page, target, ctx.settings.REDIRECT_PRIORITY_ADJUST);
  const result = await delivering(
    "enqueue the redirect's target",
    enqueueRequests(ctx.redis, ctx.layout, crawlOf(ctx, req), [{
      fingerprint: requestFingerprint({ url: target }),
      spiderid: req.spiderid,
      tags: req.tags,
      domain,
      priority: next.priority,
      member: encodeRequest(next),
    }]),
  );
  ctx.log.debug("Redirected {url} ({status}) to {target}", {
    url: req.url,
    status: page.status,
    target,
    redirect_times: next.redirect_times,
    ...result,
  });
  return {
    kind: "redirect",
    url: req.url,
    status: page.status,
    target,
    enqueued: result.added > 0,
  };
}

function giveUp(ctx: CrawlContext, req: QueuedRequest, reason: string): CrawlEvent {
  ctx.log.error("Gave up on {url}: {reason}", {
    url: req.url,
    reason,
    redirect_urls: req.redirect_urls,
    appid: req.appid,
    crawlid: req.crawlid,
  });
  ctx.stats.count("fail");
  return { kind: "gave_up", url: req.url, reason };
}
