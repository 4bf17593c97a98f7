/**
 * Crawl requests: stored in the spider's domain queue (`<spiderid>:<domain>:queue`) without the
 * schema defaults (`encodeRequest`; a crawler puts them back), and
 * `timeout:<spiderid>:<appid>:<crawlid>` set when `expires` is
 * (even when already past: queued, then expired, as in Scrapy Cluster).
 * The seed's fingerprint goes into the crawl's dupefilter, so the crawl never fetches that URL
 * twice (a seed fed again within DUPEFILTER_TIMEOUT is dropped), and requests of a stopped
 * crawl are not enqueued again.
 *
 * `handle()` only checks a request and records it; `flush()` writes a Kafka batch's requests
 * with one enqueue per crawl (and frontier shard), not one per request: per request, the
 * script call and its round of ioredis bookkeeping cost more than everything else the
 * kafka-monitor does.
 *
 * @module
 */

import type { ChainableCommander } from "ioredis";
import { ensureScheme, registeredDomain, requestFingerprint } from "../../../lib/web/mod.ts";
import {
  type EnqueueEntry,
  enqueueInPipeline,
  openFrontierLayout,
  registerScripts,
  timeoutKey,
} from "../../../lib/frontier/mod.ts";
import { addJob, type CrawlRequest, encodeRequest } from "../../../lib/api/mod.ts";
import { type PluginFactory, RequestRejected } from "../plugin.ts";

/** The requests of one crawl recorded for a batch, in arrival order. */
interface _PendingCrawl {
  readonly spiderid: string;
  readonly appid: string;
  readonly crawlid: string;
  readonly entries: EnqueueEntry[];
  /** The newest `expires` of the crawl's requests in the batch (0 = none). */
  expires: number;
}

const scraperHandler: PluginFactory = ({ redis, settings }) => {
  registerScripts(redis);
  // Per pipeline (one per batch), so batches in flight at once never mix.
  const pending = new WeakMap<ChainableCommander, Map<string, _PendingCrawl>>();
  return {
    name: "ScraperHandler",
    schema: "scraper",
    handle(request, batch) {
      const req = request as CrawlRequest;
      const domain = registeredDomain(req.url);
      if (domain === null) throw new RequestRejected(`url '${req.url}' has no host`);
      let fingerprint: string;
      try {
        fingerprint = requestFingerprint({ url: ensureScheme(req.url) });
      } catch {
        throw new RequestRejected(`url '${req.url}' is not a valid URL`);
      }
      let crawls = pending.get(batch);
      if (!crawls) pending.set(batch, crawls = new Map());
      const key = `${req.spiderid}\n${req.appid}\n${req.crawlid}`;
      let crawl = crawls.get(key);
      if (!crawl) {
        const { spiderid, appid, crawlid } = req;
        crawl = { spiderid, appid, crawlid, entries: [], expires: 0 };
        crawls.set(key, crawl);
      }
      // The stored member is the validated request without its schema defaults (compact): a
      // spider sees what was accepted, the defaults put back when the member is decoded.
      crawl.entries.push({
        fingerprint,
        spiderid: req.spiderid,
        tags: req.tags,
        domain,
        priority: req.priority,
        member: encodeRequest(req),
      });
      // The job's value is the last request's `expires`, as when each request wrote it.
      if (req.expires) crawl.expires = req.expires;
    },
    async flush(batch) {
      const crawls = pending.get(batch);
      if (!crawls) return;
      pending.delete(batch);
      const layout = await openFrontierLayout(redis, settings.FRONTIER_SHARDS);
      for (const crawl of crawls.values()) {
        enqueueInPipeline(batch, layout, {
          spiderid: crawl.spiderid,
          appid: crawl.appid,
          crawlid: crawl.crawlid,
          // No expiry filter: a seed whose `expires` is already past is queued as in Scrapy
          // Cluster, then purged and reported (`total_expired`) by the redis-monitor's expire
          // job below. The stored request keeps its `expires`, so crawlers drop it at pop.
          expires: 0,
          dupefilterTtlSec: settings.DUPEFILTER_TIMEOUT,
        }, crawl.entries);
        // The redis-monitor's expire job, due when the crawl expires; after the enqueue, so
        // the job never runs before the requests it purges are queued.
        if (crawl.expires) {
          addJob(
            batch,
            timeoutKey(crawl.spiderid, crawl.appid, crawl.crawlid),
            String(crawl.expires),
            crawl.expires,
          );
        }
      }
    },
  };
};

export default scraperHandler;
