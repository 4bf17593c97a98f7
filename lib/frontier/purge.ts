/**
 * Stopping a crawl (Action API `stop`, and expiry): the crawl is blacklisted first, so no
 * crawler enqueues or pops anything of it any more, then every pending request of exactly that
 * crawl is removed from the spider's queues, in one pass (Scrapy Cluster purged three times to
 * catch races; the blacklist makes that unnecessary). Which domains to visit comes from the
 * backlog counters, so other crawls' queues are not scanned. Each removal and the queue-index
 * update go together in one Lua call (`lua/purge_queue.lua`), so an enqueue of another crawl
 * racing the purge never leaves a non-empty queue outside the index.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { backlogKey, blacklistKey, blacklistMember, queueIndexKey, queueKey } from "./keys.ts";
import { scripts } from "./scripts.ts";

/** Blacklists the crawl and removes its pending requests; resolves with how many. */
export async function purgeCrawl(
  redis: Redis,
  spiderid: string,
  appid: string,
  crawlid: string,
): Promise<number> {
  await redis.sadd(blacklistKey(spiderid), blacklistMember(appid, crawlid));
  const counts = await redis.hgetall(backlogKey(spiderid, appid));
  const prefix = `${crawlid}\t`;
  const fields = Object.keys(counts).filter((f) => f.startsWith(prefix));
  const domains = new Set(fields.map((f) => f.split("\t")[1]));
  let purged = 0;
  for (const domain of domains) purged += await purgeQueue(redis, spiderid, domain, appid, crawlid);
  if (fields.length > 0) await redis.hdel(backlogKey(spiderid, appid), ...fields);
  return purged;
}

async function purgeQueue(
  redis: Redis,
  spiderid: string,
  domain: string,
  appid: string,
  crawlid: string,
): Promise<number> {
  const queue = queueKey(spiderid, domain);
  // A cheap substring test first: only members that can match are parsed.
  const needle = JSON.stringify(crawlid);
  let cursor = "0";
  let removed = 0;
  const purge = (members: string[]) =>
    scripts<number>(redis).purge_queue(queue, queueIndexKey(spiderid), domain, ...members);
  do {
    const [next, flat] = await redis.zscan(queue, cursor, "COUNT", 1000);
    cursor = next;
    const doomed: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const member = flat[i];
      if (!member.includes(needle)) continue;
      try {
        const req = JSON.parse(member);
        if (req.appid === appid && req.crawlid === crawlid) doomed.push(member);
      } catch { /* not ours to judge */ }
    }
    if (doomed.length > 0) removed += await purge(doomed);
  } while (cursor !== "0");
  // The queue may have emptied without a removal of ours (popped meanwhile): tidy the index.
  await purge([]);
  return removed;
}
