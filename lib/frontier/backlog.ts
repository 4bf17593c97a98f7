/**
 * What is pending, per crawl, domain and priority, from the counters the frontier scripts keep
 * beside each queue (`<spiderid>:<domain>:backlog`): info answers and stops read these, never
 * the queues themselves. The domains to look at come from each shard's index (every queue with
 * pending requests is in it), so the cost is one read per pending domain, whatever the number of
 * requests.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import { familiesOf } from "./families.ts";
import { backlogFieldPrefix } from "./keys.ts";
import type { FrontierLayout } from "./layout.ts";

/** Pending requests of one crawl in one domain queue at one priority. */
export interface BacklogEntry {
  readonly appid: string;
  readonly crawlid: string;
  readonly domain: string;
  readonly priority: number;
  readonly count: number;
  /** The queue family holding them: the spider id, or a tagged family (`families.ts`). */
  readonly family: string;
}

/** The backlog of an application's crawls (or one crawl), over every family and shard. */
export async function readBacklog(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  appid: string,
  crawlid?: string,
): Promise<BacklogEntry[]> {
  const prefix = backlogFieldPrefix(appid, crawlid);
  const families = await familiesOf(redis, spiderid);
  const places = families.flatMap((family) => layout.shards.map((shard) => ({ shard, family })));
  const perShard = await Promise.all(places.map(async ({ shard, family }) => {
    const domains = await redis.zrange(shard.index(family), "0", "-1");
    const hashes = await Promise.all(
      domains.map((domain) => redis.hgetall(shard.backlog(family, domain))),
    );
    const entries: BacklogEntry[] = [];
    hashes.forEach((counts, i) => {
      for (const [field, value] of Object.entries(counts)) {
        if (!field.startsWith(prefix)) continue;
        const [, crawl, priority] = field.split("\t");
        const count = Number(value);
        if (count > 0) {
          entries.push({
            appid,
            crawlid: crawl,
            domain: domains[i],
            family,
            priority: Number(priority),
            count,
          });
        }
      }
    });
    return entries;
  }));
  return perShard.flat();
}
