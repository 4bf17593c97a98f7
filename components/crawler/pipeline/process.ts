/**
 * One request through the crawler's steps: decode → robots.txt → fetch → parse → emit
 * (follow-ups ∥ item) → acknowledge; a redirect goes decode → robots.txt → fetch → redirect (its
 * target enqueued) → acknowledge; a request whose origin's robots.txt is not known yet (or whose
 * domain must wait) is handed back to its queue by the robots.txt step, unacknowledged. A step
 * that fails throws; `failures.ts` decides what becomes of the request.
 *
 * @module
 */

import type { Lease } from "../../../lib/frontier/mod.ts";
import type { CrawlContext } from "./context.ts";
import { type Attempt, handleFailure } from "./failures.ts";
import { decodeRequest } from "./steps/decode.ts";
import { emitStep } from "./steps/emit.ts";
import { fetchStep } from "./steps/fetch.ts";
import { redirectStep } from "./steps/redirect.ts";
import { isRedirect } from "../fetch/fetcher.ts";
import { parseStep } from "./steps/parse.ts";
import { robotsStep } from "./steps/robots.ts";
import type { FetchedPage, SpiderOutput } from "../spider.ts";

/** What the loop learns of a request on its way. */
export interface ProcessHooks {
  /** The page is in and parsed: only its delivery (follow-ups, item) is left. */
  downloaded?: () => void;
}

/**
 * Crawls the request of `lease`. Rejects only on unexpected errors (a bug), leaving the lease
 * to expire so the request comes back; when Kafka or Redis did not take the page's output, the
 * lease is returned at once (`failures.ts`).
 */
export async function processLease(
  ctx: CrawlContext,
  lease: Lease,
  hooks: ProcessHooks = {},
): Promise<void> {
  const attempt: Attempt = { lease };
  let done;
  try {
    const req = attempt.request = decodeRequest(lease.member);
    // robots.txt: false = handed back to its queue (robots.txt fetched, or the domain waits).
    if (!(await robotsStep(ctx, lease, req))) return;
    let page: FetchedPage | undefined = attempt.page = await fetchStep(ctx, req);
    if (isRedirect(page.status, page.headers)) {
      const event = await redirectStep(ctx, req, page);
      await ctx.acks.ack(lease.id);
      return ctx.onDone(event);
    }
    let output: SpiderOutput | undefined = await parseStep(ctx.spider, page, req);
    hooks.downloaded?.();
    const status = page.status;
    const delivery = emitStep(ctx, req, page, output);
    // While Redis and Kafka answer (tens of ms), nothing holds the page, its text or the
    // spider's output: they die young instead of being promoted to V8's old generation. A
    // failure from here on is a delivery one (handed back) or unexpected: neither needs the page.
    attempt.page = page = undefined;
    output = undefined;
    const emitted = await delivery;
    ctx.delivery.succeeded();
    ctx.log.debug("Crawled {url}", { url: req.url, status, ...emitted });
    done = { url: req.url, status, ...emitted };
  } catch (err) {
    return await handleFailure(ctx, attempt, err);
  }
  await ctx.acks.ack(lease.id);
  ctx.onDone({ kind: "page", ...done });
}
