/**
 * `purgeCrawl()` racing enqueues of other crawls on the same domain: the purge of a queue and
 * the queue-index update are one Lua call, so a queue that holds requests is always indexed.
 */

import assert from "node:assert/strict";
import { deleteKeysContaining, randomName, testRedis } from "../harness.ts";
import {
  type EnqueueCrawl,
  enqueueRequests,
  FrontierLayout,
  purgeCrawl,
  queueIndexKey,
  queueKey,
} from "../../lib/frontier/mod.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

Deno.test("purgeCrawl() racing enqueues never leaves a non-empty queue outside the index", async () => {
  const purger = testRedis();
  const feeder = testRedis();
  const spider = randomName("spider");
  const crawl = (crawlid: string): EnqueueCrawl => ({
    spiderid: spider,
    appid: "app",
    crawlid,
    expires: 0,
    dupefilterTtlSec: 600,
  });
  const one = (crawlid: string, i: number) => [{
    fingerprint: null,
    spiderid: spider,
    domain: "race.com",
    priority: 1,
    member: JSON.stringify({ url: `http://race.com/${crawlid}/${i}`, appid: "app", crawlid }),
  }];
  try {
    for (let round = 0; round < 150; round++) {
      const stopped = `stopped${round}`;
      await enqueueRequests(purger, layout, crawl(stopped), one(stopped, round));
      // Another crawl's request lands on the same domain right after the purge emptied the
      // queue, as close as possible to the purge's index update.
      const landAfterEmptied = async () => {
        for (let i = 0; i < 10_000; i++) {
          if ((await feeder.zcard(queueKey(spider, "race.com"))) === 0) break;
        }
        await enqueueRequests(feeder, layout, crawl("live"), one("live", round));
      };
      await Promise.all([purgeCrawl(purger, layout, spider, "app", stopped), landAfterEmptied()]);
      const size = await purger.zcard(queueKey(spider, "race.com"));
      const indexed = await purger.zscore(queueIndexKey(spider), "race.com");
      assert.ok(size > 0, "the live crawl's request is queued");
      assert.notEqual(indexed, null, `round ${round}: a queue of ${size} outside the index`);
      // Empty the queue again for the next round (as a crawler popping it would).
      await purger.del(queueKey(spider, "race.com"));
      await purger.zrem(queueIndexKey(spider), "race.com");
    }
  } finally {
    await deleteKeysContaining(purger, spider);
    await purger.quit();
    await feeder.quit();
  }
});
