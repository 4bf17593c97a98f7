/**
 * What happens to a request that failed, by the kind {@linkcode classifyFailure} gives it:
 * retried through the shared queue, given up, failed with an error item, dropped, handed back
 * at once when its output could not be delivered — or, for an unexpected error, nothing at all:
 * it is rethrown and the lease, kept, brings it back.
 *
 * @module
 */

import {
  enqueueRequests,
  type Lease,
  refusedField,
  refusedKey,
  returnLeases,
} from "../../../lib/frontier/mod.ts";
import { encodeRequest } from "../../../lib/api/mod.ts";
import { type CrawlContext, crawlOf } from "./context.ts";
import { classifyFailure, delivering, type RefusalReason } from "./errors.ts";
import { errorItem } from "./result_item.ts";
import type { FetchedPage, QueuedRequest } from "../spider.ts";
import { urlOf } from "./steps/decode.ts";
import { publishItem } from "./steps/emit.ts";

/** How far a request got before it failed. */
export interface Attempt {
  readonly lease: Lease;
  /** Set once the queue member was decoded. */
  request?: QueuedRequest;
  /** Set once a response arrived. */
  page?: FetchedPage;
}

/** Settles a failed request; rethrows `err` when it is unexpected. */
export async function handleFailure(
  ctx: CrawlContext,
  attempt: Attempt,
  err: unknown,
): Promise<void> {
  const { kind, reason } = classifyFailure(err);
  const { lease, request, page } = attempt;
  if (kind === "aborted") return; // shutdown: the lease is handed back
  if (kind === "delivery") return await handBack(ctx, lease, reason);
  if (kind === "poison") {
    ctx.log.error("Dropped a request that is not a JSON request object", {
      data: lease.member.slice(0, 300),
    });
    await ctx.acks.ack(lease.id);
    ctx.onDone({ kind: "dropped", url: urlOf(lease.member), reason: "invalid" });
    return;
  }
  if (kind === "unexpected" || request === undefined) throw err;
  if (kind === "refused") {
    return await refuse(ctx, lease, request, classifyFailure(err).refusal ?? "network", reason);
  }
  if (kind === "permanent" && page !== undefined) {
    return await failWithItem(ctx, lease, request, page, reason, err);
  }
  await retryOrGiveUp(ctx, lease, request, reason, kind === "retryable");
}

/**
 * Kafka or Redis did not take the page's output: the request goes back to its queue at its old
 * place at once (not a retry: `retry_times` unchanged), and pops pause a moment. When Redis does
 * not take the return either, the crawler's next settlement of its leases puts it back.
 */
async function handBack(ctx: CrawlContext, lease: Lease, reason: string): Promise<void> {
  const url = urlOf(lease.member);
  ctx.delivery.failed();
  ctx.log.warn("Returned {url} to its queue: {reason}", { url, reason });
  try {
    await returnLeases(ctx.redis, ctx.layout, ctx.spiderid, [lease]);
  } catch (err) {
    ctx.holdings.markDirty();
    ctx.log.warn("Cannot return {url} yet (will retry): {error}", { url, error: err });
  }
  ctx.onDone({ kind: "returned", url, reason });
}

/**
 * A request the cluster will not fetch: logged with the reason, counted for the crawler
 * (`refused_<reason>`) and for the crawl (`backlog:<spiderid>:<appid>:refused`, shown by info),
 * acknowledged; never retried.
 */
async function refuse(
  ctx: CrawlContext,
  lease: Lease,
  req: QueuedRequest,
  refusal: RefusalReason,
  reason: string,
): Promise<void> {
  ctx.log.warn("Refused {url} ({refusal}): {reason}", {
    url: req.url,
    refusal,
    reason,
    appid: req.appid,
    crawlid: req.crawlid,
  });
  ctx.stats.count(`refused_${refusal}`);
  ctx.metrics.refused(refusal);
  // Kept as long as the crawl's dupefilter: the count belongs to a crawl still being asked about.
  const key = refusedKey(ctx.spiderid, req.appid);
  await delivering(
    "count the refusal",
    ctx.redis.multi()
      .hincrby(key, refusedField(req.crawlid, refusal), 1)
      .expire(key, ctx.settings.DUPEFILTER_TIMEOUT)
      .exec(),
  );
  await ctx.acks.ack(lease.id);
  ctx.onDone({ kind: "refused", url: req.url, refusal, reason });
}

/** Publishes the page's item flagged with `error`, counts a failure and acknowledges. */
async function failWithItem(
  ctx: CrawlContext,
  lease: Lease,
  req: QueuedRequest,
  page: FetchedPage,
  reason: string,
  err: unknown,
): Promise<void> {
  ctx.log.error("Failed {url} for good: {reason}", {
    url: req.url,
    reason,
    appid: req.appid,
    crawlid: req.crawlid,
    error: err instanceof Error ? err.cause ?? err : err,
  });
  ctx.stats.count("fail");
  await publishItem(ctx, errorItem(page, req, reason), page, req);
  await ctx.acks.ack(lease.id);
  ctx.onDone({ kind: "failed", url: req.url, status: page.status, reason });
}

/** Back to the shared queue with priority − 10, or given up after RETRY_TIMES (or at once). */
async function retryOrGiveUp(
  ctx: CrawlContext,
  lease: Lease,
  req: QueuedRequest,
  reason: string,
  retryable: boolean,
): Promise<void> {
  const max = ctx.settings.RETRY_TIMES;
  const attempt = (req.retry_times ?? 0) + 1;
  if (!retryable || attempt > max) {
    ctx.log.error("Gave up on {url} after {attempts} attempt(s): {reason}", {
      url: req.url,
      attempts: attempt,
      reason,
      appid: req.appid,
      crawlid: req.crawlid,
    });
    ctx.stats.count("fail");
    await ctx.acks.ack(lease.id);
    ctx.onDone({ kind: "gave_up", url: req.url, reason });
    return;
  }
  ctx.log.info("Scraper Retry {url} ({attempt}/{max}): {reason}", {
    url: req.url,
    attempt,
    max,
    reason,
  });
  const retry: QueuedRequest = {
    ...req,
    retry_times: attempt,
    priority: req.priority - 10,
    dont_filter: true,
  };
  // Its page was counted when it was first enqueued: a retry spends no page of the limits
  // (domain_max_pages, GLOBAL_PAGE_PER_DOMAIN_LIMIT); a stopped or expired crawl still drops it.
  await delivering(
    "enqueue the retry",
    enqueueRequests(ctx.redis, ctx.layout, crawlOf(ctx, req, { countPages: false }), [{
      fingerprint: null,
      spiderid: req.spiderid,
      tags: req.tags,
      domain: lease.domain,
      priority: retry.priority,
      member: encodeRequest(retry),
    }]),
  );
  await ctx.acks.ack(lease.id);
  ctx.metrics.retry();
  ctx.onDone({ kind: "retry", url: req.url, reason, attempt });
}
