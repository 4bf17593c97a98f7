/**
 * Shared set-up of the frontier's integration tests: a fresh client and a random spider id,
 * every key of that spider deleted afterwards.
 *
 * @module
 */

import type { EnqueueCrawl } from "../../lib/frontier/mod.ts";
import { deleteKeysContaining, randomName, testRedis } from "../harness.ts";

/** A client on the test Redis. */
export type Client = ReturnType<typeof testRedis>;

/** Runs `fn` with a client, a random spider id and a crawl of it; cleans up after. */
export async function withSpider(
  fn: (redis: Client, spider: string, crawl: EnqueueCrawl) => Promise<void>,
): Promise<void> {
  const redis = testRedis();
  const spider = randomName("spider");
  const crawl: EnqueueCrawl = {
    spiderid: spider,
    appid: "app",
    crawlid: "c1",
    expires: 0,
    dupefilterTtlSec: 600,
  };
  try {
    await fn(redis, spider, crawl);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
}
