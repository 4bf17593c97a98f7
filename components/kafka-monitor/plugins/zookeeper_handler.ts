/**
 * Zookeeper API requests (domain-update, domain-remove, blacklist-update, blacklist-remove):
 * written as the redis-monitor job `zk:<action>:<domain>:<appid>` = JSON `{domain, uuid}` (plus
 * `hits`, `scale`, `window` for domain-update). A domain-update without hits or window is
 * refused, as in Scrapy Cluster.
 *
 * @module
 */

import { addJob, zookeeperJobKey } from "../../../lib/api/mod.ts";
import { type PluginFactory, RequestRejected } from "../plugin.ts";

const zookeeperHandler: PluginFactory = () => ({
  name: "ZookeeperHandler",
  schema: "zookeeper",
  handle(request, batch) {
    const { action, domain, appid, uuid, hits, window, scale } = request as Record<
      string,
      string & number
    >;
    const job: Record<string, unknown> = { domain, uuid };
    if (action === "domain-update") {
      if (!hits || !window) {
        throw new RequestRejected("'hits' and 'window' not set for domain update");
      }
      Object.assign(job, { hits, window, scale });
    }
    addJob(batch, zookeeperJobKey(action, domain, appid), JSON.stringify(job));
  },
});

export default zookeeperHandler;
