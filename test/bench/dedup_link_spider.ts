/**
 * An experiment, not a production spider: the link spider plus a crawler-local memory of the
 * links it already handed to the frontier (per crawl), so links seen before never reach
 * fingerprinting, JSON and Redis. It measures what such a cache inside the crawler would save:
 *
 * ```sh
 * deno task bench --only crawler --set SPIDER=$PWD/test/bench/dedup_link_spider.ts
 * ```
 *
 * Redis stays the authority (a link first seen here still goes through the dupefilter); the
 * item's `links` field is unchanged.
 *
 * @module
 */

import linkSpider from "../../components/crawler/spiders/link.ts";
import type { Spider } from "../../components/crawler/spider.ts";

/** Links remembered before the memory is cleared (bounds memory: ~100 bytes a link). */
const MAX_REMEMBERED = 1_000_000;
const seen = new Set<string>();

const dedupLinkSpider: Spider = {
  name: "link",
  async parse(page, request) {
    const output = await linkSpider.parse(page, request);
    if (!output.requests?.length) return output;
    if (seen.size > MAX_REMEMBERED) seen.clear();
    const fresh = output.requests.filter((child) => {
      const key = `${child.crawlid}\n${child.url}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { ...output, requests: fresh };
  },
};

export default dedupLinkSpider;
