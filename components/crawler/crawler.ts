/**
 * The crawler: pop → fetch → parse → (enqueue follow-ups ∥ produce the item) → ack, as a loop
 * and small steps. The folders say what each part is:
 *
 * - `pipeline/` — the loop and its steps, each in a file of its own: `loop.ts` (the pop loop,
 *   maintenance, graceful shutdown), `slots.ts` (the concurrency governor:
 *   `CONCURRENT_REQUESTS`, at most `CONCURRENT_REQUESTS_PER_DOMAIN` per domain, and the loop's
 *   wake-ups), `process.ts` (one request through `steps/`: decode, fetch, parse, emit),
 *   `errors.ts` + `failures.ts` (the error taxonomy: retryable — back to the shared queue with
 *   priority − 10, up to `RETRY_TIMES`; permanent — a redirect loop, a spider whose `parse`
 *   throws: failed after one attempt, with an error item when there was a response; poison —
 *   dropped; unexpected — lease kept, the request comes back when it expires), `acks.ts`
 *   (batched lease acknowledgements), `stats.ts` (the buffered counters), `result_item.ts`
 *   (the Kafka message of a page);
 * - `fetch/` — downloading one page (`fetcher.ts`) and decoding its body (`charset.ts`);
 * - `links/` — Scrapy's link extractor and link filters, used by the built-in spiders;
 * - `live/` — what a running crawler keeps up to date: the ZooKeeper domain config, the
 *   throttle derived from it, the public IP;
 * - `spider.ts`, `page.ts`, `spider_loader.ts`, `spiders/` — the spider API and the built-ins.
 *
 * A lease is acknowledged only after the page's result is in Kafka and its follow-ups are in
 * Redis. Each lease names its crawler, whose heartbeat (`stats:crawler:<host>:<spiderid>:<id>`,
 * every `HEARTBEAT_TIMEOUT` / 3, living `HEARTBEAT_TIMEOUT`) holds it: a crawler that dies has
 * its requests put back by any other within about `HEARTBEAT_TIMEOUT`; `LEASE_TIMEOUT` is the
 * last resort. A page whose item Kafka refused goes back at once.
 *
 * @module
 */

import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { startHeartbeat } from "../../lib/stats/mod.ts";
import { runBacklogSampler, startMetrics } from "../../lib/metrics/mod.ts";
import { type CrawlerDeps, createContext, holderOf } from "./pipeline/context.ts";
import { runLoop } from "./pipeline/loop.ts";

export type { CrawlerDeps, CrawlEvent } from "./pipeline/context.ts";

/**
 * Runs until `signal` aborts; resolves once in-flight work is finished or handed back. Starts
 * the crawler's heartbeat (rejects when Redis does not take the first beat) and stops it last.
 */
export async function runCrawler(deps: CrawlerDeps, opts: { signal: AbortSignal }): Promise<void> {
  const { settings: s, log } = deps;
  const holder = holderOf(deps);
  // Beats until the loop has handed back what it held, not merely until the abort.
  const beating = new AbortController();
  let warnedAt = -Infinity;
  const heartbeat = await startHeartbeat(deps.redis, holder.heartbeatKey, {
    ttlSec: s.HEARTBEAT_TIMEOUT,
    intervalMs: (s.HEARTBEAT_TIMEOUT * 1000) / 3,
    signal: beating.signal,
    // A crawler with node tags shows them in the machine stats.
    value: s.CRAWLER_TAGS.length > 0
      ? (time) => JSON.stringify({ time, tags: s.CRAWLER_TAGS })
      : undefined,
    onError: (err) => {
      // At most one line a minute: the Redis client reports the outage itself.
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      log.warn("Heartbeat failed (retrying): {error}", { error: err });
    },
  });
  const layout = deps.layout ?? await openFrontierLayout(deps.redis, s.FRONTIER_SHARDS);
  const ctx = createContext(deps, holder, heartbeat, layout);
  // The tagged queue families this crawler's tags cover (read again by the maintenance).
  await ctx.families.refresh(deps.redis).catch(() => {});
  // METRICS_PORT: /metrics served, and the backlog gauges sampled meanwhile (never on a scrape).
  const metrics = startMetrics(s, { signal: opts.signal, log });
  const intervalMs = s.METRICS_BACKLOG_INTERVAL * 1000;
  const sampling = metrics &&
    runBacklogSampler(deps.redis, layout, ctx.spiderid, { intervalMs, signal: opts.signal });
  try {
    await runLoop(ctx, opts.signal);
  } finally {
    beating.abort();
    await sampling;
    await metrics?.close();
    if (!deps.guard) await ctx.guard.close();
  }
}
