/**
 * Info jobs (`info:<spiderid>:<appid>[:<crawlid>]` = uuid): the pending requests of one crawl,
 * or of every crawl of an application, per domain with their highest and lowest priority — in
 * Scrapy Cluster's answer shapes. Answers come from the backlog counters the frontier keeps,
 * so they take the same time for ten requests or ten million (Scrapy Cluster scans every queue
 * member: its issue #53).
 *
 * @module
 */

import {
  openFrontierLayout,
  readBacklog,
  refusedKey,
  timeoutKey,
} from "../../../lib/frontier/mod.ts";
import type { PluginFactory } from "../plugin.ts";
import type { RedisClient } from "../../../lib/services/redis.ts";
import { getKeys } from "../../../lib/services/redis_batch.ts";

interface DomainInfo {
  total: number;
  high_priority: number;
  low_priority: number;
}

function addTo(domains: Record<string, DomainInfo>, domain: string, priority: number, n: number) {
  const d = domains[domain] ??= { total: 0, high_priority: -9999, low_priority: 9999 };
  d.total += n;
  d.high_priority = Math.max(d.high_priority, priority);
  d.low_priority = Math.min(d.low_priority, priority);
}

/**
 * Requests of the crawl the crawlers refused (`{"network": n, "robots": n}`), or null when none
 * were: an addition to Scrapy Cluster's answer, present only when there is something to say.
 */
async function refusedOf(
  redis: RedisClient,
  spiderid: string,
  appid: string,
  crawlid: string,
): Promise<Record<string, number> | null> {
  const counts = await redis.hgetall(refusedKey(spiderid, appid));
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(counts)) {
    const [c, reason] = field.split("\t");
    if (c === crawlid && Number(value) > 0) out[reason] = Number(value);
  }
  return Object.keys(out).length > 0 ? out : null;
}

const infoMonitor: PluginFactory = ({ redis, settings }) => ({
  name: "InfoMonitor",
  pattern: "info:*:*",
  async handle(key, uuid, nowSec) {
    const [, spiderid, appid, crawlid] = key.split(":");
    const layout = await openFrontierLayout(redis, settings.FRONTIER_SHARDS);
    const backlog = await readBacklog(redis, layout, spiderid, appid, crawlid);
    const base = { uuid, server_time: Math.floor(nowSec), appid, spiderid, total_pending: 0 };
    if (crawlid !== undefined) {
      const domains: Record<string, DomainInfo> = {};
      let total = 0;
      for (const { domain, priority, count } of backlog) {
        addTo(domains, domain, priority, count);
        total += count;
      }
      const expires = await redis.get(timeoutKey(spiderid, appid, crawlid));
      const refused = await refusedOf(redis, spiderid, appid, crawlid);
      return {
        ...base,
        crawlid,
        total_pending: total,
        total_domains: Object.keys(domains).length,
        domains,
        ...(expires !== null ? { expires } : {}),
        ...(refused !== null ? { refused } : {}),
      };
    }
    const crawls: Record<string, { total: number; domains: Record<string, DomainInfo> }> = {};
    const allDomains = new Set<string>();
    let total = 0;
    for (const { crawlid: c, domain, priority, count } of backlog) {
      const crawl = crawls[c] ??= { total: 0, domains: {} };
      addTo(crawl.domains, domain, priority, count);
      crawl.total += count;
      allDomains.add(domain);
      total += count;
    }
    const ids = Object.keys(crawls);
    const expiries = await getKeys(redis, ids.map((c) => timeoutKey(spiderid, appid, c)));
    const crawlids: Record<string, unknown> = {};
    ids.forEach((c, i) => {
      crawlids[c] = {
        total: crawls[c].total,
        distinct_domains: Object.keys(crawls[c].domains).length,
        domains: crawls[c].domains,
        ...(expiries[i] !== null ? { expires: expiries[i] } : {}),
      };
    });
    return {
      ...base,
      total_pending: total,
      total_crawlids: ids.length,
      total_domains: allDomains.size,
      crawlids,
    };
  },
});

export default infoMonitor;
