/**
 * The redis-monitor's settings: Scrapy Cluster's names and defaults, plus `JOB_SCAN_INTERVAL`.
 *
 * @module
 */

import { bool, dict, float, int, logSettings, type SettingsOf, str } from "../../lib/config/mod.ts";
import {
  KAFKA_PRODUCER_SETTINGS,
  KAFKA_SETTINGS,
  KAFKA_TOPIC_SETTINGS,
  REDIS_SETTINGS,
  ZOOKEEPER_AUTH_SETTINGS,
} from "../../lib/services/mod.ts";
import { FRONTIER_SETTINGS } from "../../lib/frontier/mod.ts";
import { HEARTBEAT_SETTINGS, STATS_SETTINGS } from "../../lib/stats/mod.ts";
import { METRICS_SETTINGS } from "../../lib/metrics/mod.ts";

/** Every setting of the redis-monitor. */
export const REDIS_MONITOR_SETTINGS = {
  ...REDIS_SETTINGS,
  ...FRONTIER_SETTINGS,
  ...KAFKA_SETTINGS,
  KAFKA_TOPIC_PREFIX: KAFKA_TOPIC_SETTINGS.KAFKA_TOPIC_PREFIX,
  ...KAFKA_PRODUCER_SETTINGS,
  ...logSettings("redis-monitor", "redis_monitor.log"),
  ...STATS_SETTINGS,
  ...HEARTBEAT_SETTINGS,
  ...METRICS_SETTINGS,
  SLEEP_TIME: float(0.1, "seconds between looks for due jobs when there are none", { min: 0 }),
  PLUGINS: dict<number | null>(
    {
      info_monitor: 100,
      stop_monitor: 200,
      expire_monitor: 300,
      stats_monitor: 400,
      zookeeper_monitor: 500,
      webhook_monitor: 600,
    },
    "job handlers → rank (lower ranks are matched first; null disables). Built-ins by name " +
      "(info_monitor, stop_monitor, expire_monitor, stats_monitor, zookeeper_monitor; " +
      "Scrapy Cluster's 'plugins.info_monitor.InfoMonitor' also works), custom ones by " +
      "module path",
  ),
  KAFKA_APPID_TOPICS: bool(false, "also send answers to <prefix>.outbound_<appid>"),
  RETRY_FAILURES: bool(true, "retry a job whose handler failed"),
  RETRY_FAILURES_MAX: int(3, "retries of a failed job before it is dropped", { min: 0 }),
  REDIS_LOCK_EXPIRATION: int(6, "seconds a job lock lives (renewed while the job runs)", {
    min: 1,
  }),
  JOB_SCAN_INTERVAL: int(
    10,
    "seconds between SCANs for job keys written without the job index (other tools)",
    { min: 1 },
  ),
  QUEUE_SCAN_INTERVAL: int(
    10,
    "seconds between sweeps adopting requests written into queues by other tools (Scrapy Cluster)",
    { min: 1 },
  ),
  STATS_DUMP_CRAWL: bool(true, "include crawler status-code stats in the periodic stats dump"),
  STATS_DUMP_QUEUE: bool(true, "include queue backlogs in the periodic stats dump"),
  ZOOKEEPER_HOSTS: str("localhost:2181", "ZooKeeper servers, comma separated", {
    nonEmpty: true,
  }),
  ZOOKEEPER_ASSIGN_PATH: str("/scrapy-cluster/crawler/", "ZooKeeper folder of the domain config", {
    nonEmpty: true,
  }),
  ZOOKEEPER_ID: str("all", "node name of the domain config under ZOOKEEPER_ASSIGN_PATH", {
    nonEmpty: true,
  }),
  ...ZOOKEEPER_AUTH_SETTINGS,
};

/** The loaded redis-monitor settings. */
export type RedisMonitorSettings = SettingsOf<typeof REDIS_MONITOR_SETTINGS>;
