/**
 * Stopping a crawl (Action API `stop`, and expiry): the crawl is blacklisted first (in every
 * shard's copy), so no crawler enqueues or pops anything of it any more, then every pending
 * request of exactly that crawl is removed from the spider's queues, in one pass (Scrapy Cluster
 * purged three times to catch races; the blacklist makes that unnecessary). Which domains to
 * visit comes from the backlog counters, so other crawls' queues are not scanned. Each removal,
 * its counters and the queue-index update go together in one Lua call (`lua/purge_queue.lua`),
 * so an enqueue of another crawl racing the purge never leaves a non-empty queue outside the
 * index.
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import { readBacklog } from "./backlog.ts";
import { backlogFieldPrefix, blacklistMember } from "./keys.ts";
import type { FrontierLayout } from "./layout.ts";
import { scripts } from "./scripts.ts";

/** Adds a crawl to the blacklist copy of every shard. */
export async function blacklistCrawl(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  appid: string,
  crawlid: string,
): Promise<void> {
  const member = blacklistMember(appid, crawlid);
  await Promise.all(layout.shards.map((shard) => redis.sadd(shard.blacklist(spiderid), member)));
}

/** Blacklists the crawl and removes its pending requests; resolves with how many. */
export async function purgeCrawl(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  appid: string,
  crawlid: string,
): Promise<number> {
  await blacklistCrawl(redis, layout, spiderid, appid, crawlid);
  const queues = new Set(
    (await readBacklog(redis, layout, spiderid, appid, crawlid)).map((e) =>
      `${e.family}\n${e.domain}`
    ),
  );
  let purged = 0;
  for (const queue of queues) {
    const [family, domain] = queue.split("\n");
    purged += await purgeQueue(redis, layout, family, domain, appid, crawlid);
  }
  return purged;
}

async function purgeQueue(
  redis: RedisClient,
  layout: FrontierLayout,
  family: string,
  domain: string,
  appid: string,
  crawlid: string,
): Promise<number> {
  const shard = layout.of(domain);
  const queue = shard.queue(family, domain);
  const purge = (members: string[]) =>
    scripts<number>(redis).purge_queue(
      queue,
      shard.index(family),
      shard.backlog(family, domain),
      domain,
      backlogFieldPrefix(appid, crawlid),
      ...members,
    );
  // A cheap substring test first: only members that can match are parsed.
  const needle = JSON.stringify(crawlid);
  let cursor = "0";
  let removed = 0;
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
