/**
 * The kafka-monitor's settings: Scrapy Cluster's names and defaults, plus our own
 * `MAX_REQUEST_BYTES` and `MAXDEPTH_LIMIT`.
 *
 * @module
 */

import { compat, float, int, logSettings, type SettingsOf } from "../../lib/config/mod.ts";
import {
  KAFKA_CONSUMER_SETTINGS,
  KAFKA_PRODUCER_SETTINGS,
  KAFKA_SETTINGS,
  KAFKA_TOPIC_SETTINGS,
  REDIS_SETTINGS,
} from "../../lib/services/mod.ts";
import { FRONTIER_SETTINGS } from "../../lib/frontier/mod.ts";
import { HEARTBEAT_SETTINGS, STATS_SETTINGS } from "../../lib/stats/mod.ts";
import { METRICS_SETTINGS } from "../../lib/metrics/mod.ts";
import { NETWORK_GUARD_SETTINGS } from "../../lib/net/mod.ts";
import { CLASSIFIER_SETTINGS } from "./plugin_settings.ts";

/** Every setting of the kafka-monitor. */
export const KAFKA_MONITOR_SETTINGS = {
  ...REDIS_SETTINGS,
  ...FRONTIER_SETTINGS,
  ...KAFKA_SETTINGS,
  KAFKA_INCOMING_TOPIC: KAFKA_TOPIC_SETTINGS.KAFKA_INCOMING_TOPIC,
  KAFKA_GROUP: KAFKA_TOPIC_SETTINGS.KAFKA_GROUP,
  KAFKA_FEED_TIMEOUT: KAFKA_TOPIC_SETTINGS.KAFKA_FEED_TIMEOUT,
  ...KAFKA_CONSUMER_SETTINGS,
  ...KAFKA_PRODUCER_SETTINGS,
  ...logSettings("kafka-monitor", "kafka_monitor.log"),
  ...STATS_SETTINGS,
  ...HEARTBEAT_SETTINGS,
  ...METRICS_SETTINGS,
  SLEEP_TIME: compat(
    float(0.01, "seconds the main loop sleeps between looks for requests", { min: 0 }),
    "has no effect: the monitor handles messages as Kafka delivers them",
  ),
  ...CLASSIFIER_SETTINGS,
  // Seeds whose host is a refused address literal are rejected (lib/api/classify.ts).
  ...NETWORK_GUARD_SETTINGS,
  DUPEFILTER_TIMEOUT: int(
    600,
    "seconds a crawl's dupefilter lives after its last use (seeds are recorded in it too)",
    { min: 1 },
  ),
};

/** The loaded kafka-monitor settings. */
export type KafkaMonitorSettings = SettingsOf<typeof KAFKA_MONITOR_SETTINGS>;
