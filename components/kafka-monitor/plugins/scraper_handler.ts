/**
 * Crawl requests: stored in the spider's domain queue (`<spiderid>:<domain>:queue`) with every
 * schema default filled in, and `timeout:<spiderid>:<appid>:<crawlid>` set when `expires` is.
 *
 * @module
 */

import { registeredDomain } from "../../../lib/domain.ts";
import { timeoutKey } from "../../../lib/keys.ts";
import { pushRequestsInPipeline } from "../../../lib/redis_queue.ts";
import { registerScripts } from "../../../lib/lua.ts";
import type { CrawlRequest } from "../../../lib/validation.ts";
import { type PluginFactory, RequestRejected } from "../plugin.ts";

const scraperHandler: PluginFactory = ({ redis }) => {
  registerScripts(redis);
  return {
    name: "ScraperHandler",
    schema: "scraper",
    handle(request, batch) {
      const req = request as CrawlRequest;
      const domain = registeredDomain(req.url);
      if (domain === null) throw new RequestRejected(`url '${req.url}' has no host`);
      // The stored member is the validated request itself, so a spider sees what was accepted.
      pushRequestsInPipeline(batch, req.spiderid, domain, [{
        priority: req.priority,
        member: JSON.stringify(req),
      }]);
      if (req.expires) batch.set(timeoutKey(req.spiderid, req.appid, req.crawlid), req.expires);
    },
  };
};

export default scraperHandler;
