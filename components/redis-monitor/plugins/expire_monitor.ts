/**
 * Expire jobs (`timeout:<spiderid>:<appid>:<crawlid>` = the crawl's `expires`, epoch seconds):
 * once that time has passed, the crawl is stopped like a stop request and the `expired`
 * notification (no uuid, as in Scrapy Cluster) says how many pending requests were removed.
 *
 * @module
 */

import { openFrontierLayout, purgeCrawl } from "../../../lib/frontier/mod.ts";
import type { PluginFactory } from "../plugin.ts";

const expireMonitor: PluginFactory = ({ redis, log, settings }) => ({
  name: "ExpireMonitor",
  pattern: "timeout:*:*:*",
  precondition(_key, value, nowSec) {
    const expires = Number(value);
    if (!Number.isFinite(expires)) return true; // garbage: let handle() drop it loudly
    return nowSec >= expires ? true : expires;
  },
  async handle(key, value, nowSec) {
    const [, spiderid, appid, crawlid] = key.split(":");
    if (!Number.isFinite(Number(value))) throw new Error(`expiry '${value}' is not a number`);
    const expired = await purgeCrawl(
      redis,
      await openFrontierLayout(redis, settings.FRONTIER_SHARDS),
      spiderid,
      appid,
      crawlid,
    );
    log.info("Crawl {crawlid} of {appid} expired: {expired} request(s) removed", {
      crawlid,
      appid,
      expired,
    });
    return {
      action: "expired",
      spiderid,
      appid,
      crawlid,
      total_expired: expired,
      server_time: Math.floor(nowSec),
    };
  },
});

export default expireMonitor;
