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
import type { FrontierLayout } from "./layout.ts";

/** Pending requests of one crawl in one domain queue at one priority. */
export interface BacklogEntry {
  readonly appid: string;
  readonly crawlid: string;
  readonly domain: string;
  readonly priority: number;
  readonly count: number;
}

/** The backlog of an application's crawls (or one crawl), over every shard. */
export async function readBacklog(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  appid: string,
  crawlid?: string,
): Promise<BacklogEntry[]> {
  const prefix = crawlid === undefined ? `${appid}\t` : `${appid}\t${crawlid}\t`;
  const perShard = await Promise.all(layout.shards.map(async (shard) => {
    const domains = await redis.zrange(shard.index(spiderid), "0", "-1");
    const hashes = await Promise.all(
      domains.map((domain) => redis.hgetall(shard.backlog(spiderid, domain))),
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
