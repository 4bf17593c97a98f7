/**
 * Step 3: hand the page's output on (made ready by the parse step, `page_output.ts`) — the
 * follow-up requests into their Redis queues (after this process's memory of links it already
 * sent) and, at the same time, the item to Kafka (serialised, cut to the message size limit
 * when needed). Errors here are outages, not failures of the request: they propagate as
 * `DeliveryError`, and the request goes back to its queue at once (`failures.ts`).
 *
 * @module
 */

import { enqueueRequests } from "../../../../lib/frontier/mod.ts";
import { crawledAppTopic, crawledFirehose } from "../../../../lib/api/mod.ts";
import { type CrawlContext, crawlOf } from "../context.ts";
import { delivering } from "../errors.ts";
import { KAFKA_FRAMING_BYTES } from "../../../../lib/services/mod.ts";
import {
  itemKey,
  type PageOutput,
  type PreparedChild,
  type PreparedItem,
  prepareItem,
  type PrepareOptions,
  withFingerprints,
} from "../page_output.ts";
import type { FetchedPage, QueuedRequest } from "../../spider.ts";

/** What {@linkcode emitStep} did. */
export interface Emitted {
  /** Follow-up requests the spider returned (before any filter). */
  children: number;
  /** The page or the item's body was cut. */
  truncated: boolean;
}

/** How this crawler prepares a page's output (its settings; see `page_output.ts`). */
export function prepareOptions(ctx: CrawlContext): PrepareOptions {
  return {
    base64: ctx.settings.KAFKA_BASE_64_ENCODE,
    // The message's Kafka framing counts against the producer's limit.
    itemBudgetBytes: ctx.settings.KAFKA_PRODUCER_MAX_REQUEST_SIZE - KAFKA_FRAMING_BYTES,
    sentLately: (memo) => ctx.recentlySent.has(memo),
  };
}

/** Enqueues the follow-ups and produces the item, in parallel. */
export async function emitStep(
  ctx: CrawlContext,
  req: QueuedRequest,
  page: FetchedPage,
  output: PageOutput,
): Promise<Emitted> {
  const enqueued = delivering("enqueue the follow-ups", enqueueChildren(ctx, req, output.entries));
  let truncated = page.truncated;
  let produced: Promise<void> = Promise.resolve();
  if (output.item) {
    const value = messageOf(ctx, output.item, req);
    if (value === null) ctx.stats.count("fail");
    else {
      truncated ||= output.item.kind === "message" && output.item.truncated;
      produced = delivering("produce the item", produce(ctx, value, req));
    }
  }
  await Promise.all([enqueued, produced]);
  return { children: output.children, truncated };
}

/** Serialises and produces one item; false when it cannot fit in a Kafka message (logged). */
export async function publishItem(
  ctx: CrawlContext,
  item: Record<string, unknown>,
  page: FetchedPage,
  req: QueuedRequest,
): Promise<boolean> {
  const value = messageOf(ctx, prepareItem(item, page, req, prepareOptions(ctx)), req);
  if (value === null) return false;
  await delivering("produce the item", produce(ctx, value, req));
  return true;
}

/** The item's message value; null (logged) when even an empty body does not fit. */
function messageOf(
  ctx: CrawlContext,
  item: PreparedItem,
  req: QueuedRequest,
): string | Uint8Array | null {
  if (item.kind === "too_large") {
    ctx.log.error("{message}", { message: item.message, url: req.url });
    return null;
  }
  if (item.truncated) {
    ctx.log.warn("Page body cut to fit the Kafka message size limit", { url: req.url });
  }
  return item.value;
}

/**
 * Publishes an item keyed by its crawl: every item of a crawl lands in one partition, so a
 * consumer (webhooks deliver in order per crawl) reads a crawl's items in the order produced.
 */
async function produce(
  ctx: CrawlContext,
  value: string | Uint8Array,
  req: QueuedRequest,
): Promise<void> {
  const prefix = ctx.settings.KAFKA_TOPIC_PREFIX;
  const key = itemKey(req);
  const sends = [ctx.producer.send(crawledFirehose(prefix), value, key)];
  if (ctx.settings.KAFKA_APPID_TOPICS) {
    sends.push(ctx.producer.send(crawledAppTopic(prefix, req.appid), value, key));
  }
  await Promise.all(sends);
  ctx.metrics.item();
}

/**
 * Enqueues the follow-ups Redis does not surely hold already, in one call (a worker prepared
 * them without this process's memory of sent links: it is applied here).
 */
async function enqueueChildren(
  ctx: CrawlContext,
  parent: QueuedRequest,
  children: readonly PreparedChild[],
): Promise<void> {
  if (children.length === 0) return;
  const fresh = withFingerprints(
    children.filter((c) => c.memo === null || !ctx.recentlySent.has(c.memo)),
  );
  await enqueueRequests(ctx.redis, ctx.layout, crawlOf(ctx, parent), fresh.map((c) => c.entry));
  for (const c of fresh) if (c.memo !== null) ctx.recentlySent.add(c.memo);
}
