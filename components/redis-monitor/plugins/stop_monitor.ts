/**
 * Stop jobs (`stop:<spiderid>:<appid>:<crawlid>` = uuid): the crawl is blacklisted — nothing of
 * it is enqueued or crawled again, pages already downloading finish without follow-ups — its
 * pending requests are purged, its expiry job removed, and the answer says how many were
 * purged. A stop without a crawlid is answered with an `error` (Scrapy Cluster only logged it).
 *
 * @module
 */

import { finishJob } from "../../../lib/api/mod.ts";
import { openFrontierLayout, purgeCrawl, timeoutKey } from "../../../lib/frontier/mod.ts";
import type { PluginFactory } from "../plugin.ts";

const stopMonitor: PluginFactory = ({ redis, log, settings }) => ({
  name: "StopMonitor",
  pattern: "stop:*:*",
  async handle(key, uuid, nowSec) {
    const [, spiderid, appid, crawlid] = key.split(":");
    const base = { action: "stop", spiderid, appid, uuid, server_time: Math.floor(nowSec) };
    if (crawlid === undefined) {
      log.warn("Stop requests need a crawlid and appid", { key });
      return { ...base, error: "Stop requests need a crawlid and appid" };
    }
    const purged = await purgeCrawl(
      redis,
      await openFrontierLayout(redis, settings.FRONTIER_SHARDS),
      spiderid,
      appid,
      crawlid,
    );
    await finishJob(redis, timeoutKey(spiderid, appid, crawlid));
    log.info("Stopped crawl {crawlid} of {appid}: {purged} request(s) purged", {
      crawlid,
      appid,
      purged,
    });
    return { ...base, crawlid, total_purged: purged };
  },
});

export default stopMonitor;
