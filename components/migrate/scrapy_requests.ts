/**
 * Follow-up requests as Scrapy Cluster's crawlers queue them: Scrapy's `request_to_dict`
 * (`{url, callback, method, headers, body, cookies, meta, priority, dont_filter, …}`), the crawl's
 * fields (`appid`, `crawlid`, `maxdepth`, `curdepth`, …) inside `meta`. This project's crawler
 * reads a crawl request's fields at the top level (the shape Scrapy Cluster's kafka-monitor
 * writes for seeds), so `migrate scrapy` rewrites each such member as one: `meta`'s fields, the
 * request's own `url`, `dont_filter` when set. Scores are unique once a queue is adopted, so a
 * member rewritten in place keeps its place.
 *
 * @module
 */

import type { RedisClient } from "../../lib/services/redis.ts";

/** Scrapy's own bookkeeping in `meta`, meaningless to this project's crawler. */
const SCRAPY_INTERNAL = new Set(["download_timeout", "download_slot", "download_latency", "depth"]);

/** The crawl request a Scrapy-serialised request stands for; null for any other member. */
export function flattenScrapyRequest(member: string): string | null {
  // Cheap test first: most members of a queue are not Scrapy-serialised.
  if (!member.includes('"meta"')) return null;
  let req: unknown;
  try {
    req = JSON.parse(member);
  } catch {
    return null;
  }
  if (typeof req !== "object" || req === null) return null;
  const { url, meta, dont_filter } = req as Record<string, unknown>;
  if (typeof url !== "string" || typeof meta !== "object" || meta === null) return null;
  const fields = Object.entries(meta).filter(([name]) => !SCRAPY_INTERNAL.has(name));
  // meta.url is the seed's (Scrapy Cluster's meta passthrough copies it): the request's wins.
  const flat: Record<string, unknown> = { ...Object.fromEntries(fields), url };
  if (dont_filter === true) flat.dont_filter = true;
  return JSON.stringify(flat);
}

/**
 * Rewrites the Scrapy-serialised members of a queue in place (each ZREM and ZADD at the same
 * score in one transaction); resolves with how many (dry run: would be).
 */
export async function flattenQueue(
  redis: RedisClient,
  queue: string,
  dryRun: boolean,
): Promise<number> {
  let rewritten = 0;
  const chunk = 1000;
  for (let start = 0;; start += chunk) {
    const page = await redis.zrange(queue, String(start), String(start + chunk - 1), "WITHSCORES");
    if (page.length === 0) return rewritten;
    for (let i = 0; i < page.length; i += 2) {
      const flat = flattenScrapyRequest(page[i]);
      if (flat === null) continue;
      rewritten++;
      if (!dryRun) await redis.multi().zrem(queue, page[i]).zadd(queue, page[i + 1], flat).exec();
    }
  }
}
