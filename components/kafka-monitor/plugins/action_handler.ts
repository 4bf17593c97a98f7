/**
 * Info and stop requests (Action API): written as the redis-monitor job
 * `<action>:<spiderid>:<appid>[:<crawlid>]` = uuid. A later identical request overwrites the
 * uuid (Scrapy Cluster's format) and adds its own to the job's waiting set, so every caller is
 * answered.
 *
 * @module
 */

import { actionKey, addJob } from "../../../lib/api/mod.ts";
import type { PluginFactory } from "../plugin.ts";

const actionHandler: PluginFactory = () => ({
  name: "ActionHandler",
  schema: "action",
  handle(request, batch) {
    const { action, spiderid, appid, crawlid, uuid } = request as Record<string, string>;
    addJob(batch, actionKey(action as "info" | "stop", spiderid, appid, crawlid), uuid, 0, {
      waiter: uuid,
    });
  },
});

export default actionHandler;
