/**
 * Step 1: download the page, with the crawl's cookies for the target (`cookie_store.ts`: the
 * crawl's `cookie` inside the seed's domain only, and what sites set), keeping the cookies the
 * response sets. Every response is counted under its status, and for its crawl's progress; a
 * download that got no response counts as 504 and throws the fetcher's `FetchError` (retryable
 * or not, see `errors.ts`); a status in `RETRY_HTTP_CODES` throws {@linkcode RetryableError}
 * while the request has retries left — after that the response is a page like any other. A redirect is returned as it is
 * (`redirect.ts` follows it); the final page of a chain gets the chain's first URL as `url`.
 *
 * @module
 */

import { ensureScheme } from "../../../../lib/web/mod.ts";
import type { CrawlContext } from "../context.ts";
import { RetryableError } from "../errors.ts";
import { FetchError, fetchPage } from "../../fetch/fetcher.ts";
import { keepResponseCookies, requestCookie } from "../cookie_store.ts";
import type { FetchedPage, QueuedRequest } from "../../spider.ts";

/** Downloads `req`; throws `FetchError` or {@linkcode RetryableError}. */
export async function fetchStep(ctx: CrawlContext, req: QueuedRequest): Promise<FetchedPage> {
  const s = ctx.settings;
  const url = ensureScheme(req.url);
  let page: FetchedPage;
  const started = performance.now();
  try {
    page = await fetchPage(url, {
      timeoutMs: s.DOWNLOAD_TIMEOUT * 1000,
      maxBytes: s.DOWNLOAD_MAXSIZE,
      userAgent: req.useragent ?? s.USER_AGENT,
      cookie: await requestCookie(ctx, req, url),
      signal: ctx.fetchAbort.signal,
      guard: ctx.guard,
    });
  } catch (err) {
    if (!(err instanceof FetchError && err.kind === "aborted")) {
      ctx.stats.count(504);
      ctx.stats.fetched(crawlOfDownload(ctx, req), null, (err as Error).message);
      ctx.metrics.fetchFailed((performance.now() - started) / 1000);
    }
    throw err;
  }
  ctx.stats.count(page.status);
  ctx.stats.fetched(crawlOfDownload(ctx, req), page.status);
  ctx.metrics.fetched(page.status, page.body.byteLength, (performance.now() - started) / 1000);
  await keepResponseCookies(ctx, req, page);
  // The end of a redirect chain reports the chain's first URL (its response URL stays its own).
  if (req.redirect_urls?.length) page.url = req.redirect_urls[0];
  if (shouldRetryStatus(page.status, req, ctx.retryCodes, s.RETRY_TIMES)) {
    throw new RetryableError(`HTTP ${page.status}`);
  }
  return page;
}

/** The crawl a download counts for (its progress, `lib/api/progress.ts`). */
function crawlOfDownload(ctx: CrawlContext, req: QueuedRequest) {
  return { spiderid: ctx.spiderid, appid: req.appid, crawlid: req.crawlid, url: req.url };
}

/** Whether a response with `status` is asked for again rather than published. */
export function shouldRetryStatus(
  status: number,
  req: Pick<QueuedRequest, "retry_times">,
  retryCodes: ReadonlySet<number>,
  retryTimes: number,
): boolean {
  return retryCodes.has(status) && (req.retry_times ?? 0) < retryTimes;
}
