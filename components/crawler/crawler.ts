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
 * Redis; a crawler that dies leaves leases that another crawler puts back when they expire.
 *
 * @module
 */

import { type CrawlerDeps, createContext } from "./pipeline/context.ts";
import { runLoop } from "./pipeline/loop.ts";

export type { CrawlerDeps, CrawlEvent } from "./pipeline/context.ts";

/** Runs until `signal` aborts; resolves once in-flight work is finished or handed back. */
export async function runCrawler(deps: CrawlerDeps, opts: { signal: AbortSignal }): Promise<void> {
  const ctx = createContext(deps);
  try {
    await runLoop(ctx, opts.signal);
  } finally {
    if (!deps.guard) await ctx.guard.close();
  }
}
