/**
 * Stats jobs (`statsrequest:<stats>:<appid>` = uuid): the Stats API answers in Scrapy
 * Cluster's shapes — rolling windows and lifetime counts per component and plugin, live nodes
 * from heartbeats, crawler status codes per spider and machine, queue backlogs.
 *
 * @module
 */

import {
  componentStats,
  crawlerStats,
  machineStats,
  queueStats,
  spiderStats,
} from "../../../lib/stats/mod.ts";
import type { PluginFactory } from "../plugin.ts";

const statsMonitor: PluginFactory = ({ redis, log }) => {
  const gather = async (stats: string, now: number): Promise<Record<string, unknown> | null> => {
    switch (stats) {
      case "kafka-monitor":
      case "redis-monitor":
      case "rest":
      case "webhook":
        return { ...await componentStats(redis, stats, now) };
      case "spider":
        return { ...await spiderStats(redis, now) };
      case "machine":
        return { ...await machineStats(redis, now) };
      case "queue":
        return { ...await queueStats(redis) };
      case "crawler":
        return { ...await crawlerStats(redis, now) };
      case "all":
        return {
          "kafka-monitor": await componentStats(redis, "kafka-monitor", now),
          "redis-monitor": await componentStats(redis, "redis-monitor", now),
          crawler: await crawlerStats(redis, now),
          rest: await componentStats(redis, "rest", now),
        };
      default:
        return null;
    }
  };
  return {
    name: "StatsMonitor",
    pattern: "statsrequest:*:*",
    async handle(key, uuid, nowSec) {
      const [, stats, appid] = key.split(":");
      const payload = await gather(stats, nowSec);
      const base = { stats, appid, uuid, server_time: Math.floor(nowSec) };
      if (payload === null) {
        log.warn("Unknown stats type {stats}", { stats, key });
        return { ...base, error: `unknown stats type '${stats}'` };
      }
      return { ...payload, ...base };
    },
  };
};

export default statsMonitor;
