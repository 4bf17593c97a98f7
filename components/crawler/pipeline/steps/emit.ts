/**
 * Step 3: hand the spider's output on — the follow-up requests into their Redis queues (after
 * this process's memory of links it already sent) and, at the same time, the item to Kafka
 * (serialised, cut to the message size limit when needed). Errors here are outages, not
 * failures of the request: they propagate as `DeliveryError`, and the request goes back to its
 * queue at once (`failures.ts`).
 *
 * @module
 */

import { type EnqueueEntry, enqueueRequests } from "../../../../lib/frontier/mod.ts";
import { crawledAppTopic, crawledFirehose, encodeRequest } from "../../../../lib/api/mod.ts";
import { registeredDomain, requestFingerprint } from "../../../../lib/web/mod.ts";
import { type CrawlContext, crawlOf } from "../context.ts";
import { ItemTooLargeError, serializeItem } from "../result_item.ts";
import { delivering } from "../errors.ts";
import { releaseBody } from "../../fetch/response_body.ts";
import { KAFKA_FRAMING_BYTES } from "../../../../lib/services/mod.ts";
import type { FetchedPage, QueuedRequest, SpiderOutput } from "../../spider.ts";

/** What {@linkcode emitStep} did. */
export interface Emitted {
  /** Follow-up requests the spider returned (before any filter). */
  children: number;
  /** The page or the item's body was cut. */
  truncated: boolean;
}

/**
 * Enqueues the follow-ups and produces the item, in parallel. Once both are through, the page
 * is done: its body's memory is given back at once (`releaseBody`), not at V8's next full GC.
 * Not async: while Redis and Kafka answer, nothing here holds the page, its text, the item or
 * its JSON (each the page's size), so they die young instead of being promoted to V8's old
 * generation, which only a full collection empties.
 */
export function emitStep(
  ctx: CrawlContext,
  req: QueuedRequest,
  page: FetchedPage,
  output: SpiderOutput,
): Promise<Emitted> {
  const children = output.requests ?? [];
  const enqueued = delivering("enqueue the follow-ups", enqueueChildren(ctx, req, children));
  let truncated = page.truncated;
  let produced: Promise<void> = Promise.resolve();
  if (output.item) {
    let prepared;
    try {
      prepared = prepareItem(ctx, output.item, page, req);
    } catch (err) {
      enqueued.catch(() => {}); // the error below is the one reported
      return Promise.reject(err);
    }
    if (prepared === null) ctx.stats.count("fail");
    else {
      truncated ||= prepared.truncated;
      produced = delivering("produce the item", produce(ctx, prepared.json, req));
    }
  }
  return delivered(enqueued, produced, page.body, { children: children.length, truncated });
}

/** Waits for the follow-ups and the item to be taken, then frees the page's body. */
async function delivered(
  enqueued: Promise<void>,
  produced: Promise<void>,
  body: Uint8Array,
  emitted: Emitted,
): Promise<Emitted> {
  await Promise.all([enqueued, produced]);
  releaseBody(body);
  return emitted;
}

/** Serialises and produces one item; false when it cannot fit in a Kafka message (logged). */
export async function publishItem(
  ctx: CrawlContext,
  item: Record<string, unknown>,
  page: FetchedPage,
  req: QueuedRequest,
): Promise<boolean> {
  const prepared = prepareItem(ctx, item, page, req);
  if (prepared === null) return false;
  await delivering("produce the item", produce(ctx, prepared.json, req));
  return true;
}

/** The item's Kafka message; null (logged) when even an empty body does not fit. */
function prepareItem(
  ctx: CrawlContext,
  item: Record<string, unknown>,
  page: FetchedPage,
  req: QueuedRequest,
): { json: string; truncated: boolean } | null {
  try {
    const serialized = serializeItem(item, page, {
      base64: ctx.settings.KAFKA_BASE_64_ENCODE,
      // The message's key and its Kafka framing count against the same limit.
      maxBytes: ctx.settings.KAFKA_PRODUCER_MAX_REQUEST_SIZE - KAFKA_FRAMING_BYTES -
        utf8.encode(itemKey(req)).length,
    });
    if (serialized.truncated) {
      ctx.log.warn("Page body cut to fit the Kafka message size limit", { url: req.url });
    }
    return serialized;
  } catch (err) {
    if (!(err instanceof ItemTooLargeError)) throw err;
    ctx.log.error("{message}", { message: err.message, url: req.url });
    return null;
  }
}

/**
 * Publishes an item keyed by its crawl: every item of a crawl lands in one partition, so a
 * consumer (webhooks deliver in order per crawl) reads a crawl's items in the order produced.
 */
function produce(ctx: CrawlContext, json: string, req: QueuedRequest): Promise<void> {
  const prefix = ctx.settings.KAFKA_TOPIC_PREFIX;
  const key = itemKey(req);
  const sends = [ctx.producer.send(crawledFirehose(prefix), json, key)];
  if (ctx.settings.KAFKA_APPID_TOPICS) {
    sends.push(ctx.producer.send(crawledAppTopic(prefix, req.appid), json, key));
  }
  // Not async: its frame would hold `json` until the broker acknowledged.
  return Promise.all(sends).then(() => ctx.metrics.item());
}

const utf8 = new TextEncoder();

/** An item's Kafka key: its crawl (see {@linkcode produce}). */
function itemKey(req: QueuedRequest): string {
  return `${req.appid}\t${req.crawlid}`;
}

/** Enqueues the follow-ups Redis does not surely hold already, in one call. */
async function enqueueChildren(
  ctx: CrawlContext,
  parent: QueuedRequest,
  children: readonly QueuedRequest[],
): Promise<void> {
  if (children.length === 0) return;
  const entries: EnqueueEntry[] = [];
  const sent: string[] = [];
  for (const child of children) {
    const memo = child.dont_filter ? null : `${parent.crawlid}\t${child.url}`;
    if (memo !== null && ctx.recentlySent.has(memo)) continue; // Redis has it already
    const domain = registeredDomain(child.url);
    if (domain === null) continue;
    let fingerprint: string | null = null;
    if (!child.dont_filter) {
      try {
        fingerprint = requestFingerprint({ url: child.url });
      } catch {
        continue; // not a URL: nothing to crawl
      }
    }
    entries.push({
      fingerprint,
      spiderid: child.spiderid ?? parent.spiderid,
      tags: child.tags,
      domain,
      priority: child.priority,
      member: encodeRequest(child),
    });
    if (memo !== null) sent.push(memo);
  }
  await enqueueRequests(ctx.redis, ctx.layout, crawlOf(ctx, parent), entries);
  for (const memo of sent) ctx.recentlySent.add(memo);
}
