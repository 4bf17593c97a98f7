/**
 * Stats requests (Stats API): written as the redis-monitor job `statsrequest:<stats>:<appid>`
 * = uuid (`stats` defaults to `all`); like info requests, every uuid waiting for it is answered.
 *
 * @module
 */

import { addJob, statsRequestKey } from "../../../lib/api/mod.ts";
import type { PluginFactory } from "../plugin.ts";

const statsHandler: PluginFactory = () => ({
  name: "StatsHandler",
  schema: "stats",
  handle(request, batch) {
    const { stats, appid, uuid } = request as Record<string, string>;
    addJob(batch, statsRequestKey(stats, appid), uuid, 0, { waiter: uuid });
  },
});

export default statsHandler;
