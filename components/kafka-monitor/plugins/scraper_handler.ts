/**
 * Crawl requests: stored in the spider's domain queue (`<spiderid>:<domain>:queue`) without the
 * schema defaults (`encodeRequest`; a crawler puts them back), and
 * `timeout:<spiderid>:<appid>:<crawlid>` set when `expires` is
 * (even when already past: queued, then expired, as in Scrapy Cluster).
 * The seed's fingerprint goes into the crawl's dupefilter, so the crawl never fetches that URL
 * twice (a seed fed again within DUPEFILTER_TIMEOUT is dropped), and requests of a stopped
 * crawl are not enqueued again.
 *
 * @module
 */

import { ensureScheme, registeredDomain, requestFingerprint } from "../../../lib/web/mod.ts";
import {
  enqueueInPipeline,
  openFrontierLayout,
  registerScripts,
  timeoutKey,
} from "../../../lib/frontier/mod.ts";
import { addJob, type CrawlRequest, encodeRequest } from "../../../lib/api/mod.ts";
import { type PluginFactory, RequestRejected } from "../plugin.ts";

const scraperHandler: PluginFactory = ({ redis, settings }) => {
  registerScripts(redis);
  return {
    name: "ScraperHandler",
    schema: "scraper",
    async handle(request, batch) {
      const req = request as CrawlRequest;
      const domain = registeredDomain(req.url);
      if (domain === null) throw new RequestRejected(`url '${req.url}' has no host`);
      let fingerprint: string;
      try {
        fingerprint = requestFingerprint({ url: ensureScheme(req.url) });
      } catch {
        throw new RequestRejected(`url '${req.url}' is not a valid URL`);
      }
      // The stored member is the validated request without its schema defaults (compact): a
      // spider sees what was accepted, the defaults put back when the member is decoded.
      const layout = await openFrontierLayout(redis, settings.FRONTIER_SHARDS);
      enqueueInPipeline(batch, layout, {
        spiderid: req.spiderid,
        appid: req.appid,
        crawlid: req.crawlid,
        // No expiry filter: a seed whose `expires` is already past is queued as in Scrapy
        // Cluster, then purged and reported (`total_expired`) by the redis-monitor's expire
        // job below. The stored request keeps its `expires`, so crawlers drop it at pop.
        expires: 0,
        dupefilterTtlSec: settings.DUPEFILTER_TIMEOUT,
      }, [{
        fingerprint,
        spiderid: req.spiderid,
        tags: req.tags,
        domain,
        priority: req.priority,
        member: encodeRequest(req),
      }]);
      // The redis-monitor's expire job, due when the crawl expires.
      if (req.expires) {
        addJob(
          batch,
          timeoutKey(req.spiderid, req.appid, req.crawlid),
          String(req.expires),
          req.expires,
        );
      }
    },
  };
};

export default scraperHandler;
