/**
 * The webhook component's settings: Redis, Kafka (the crawled firehose it consumes in the
 * consumer group `WEBHOOK_GROUP`), the network guard every POST goes through, stats, and the
 * delivery rules (`WEBHOOK_*`).
 *
 * @module
 */

import { float, int, logSettings, type SettingsOf, str } from "../../lib/config/mod.ts";
import {
  KAFKA_CONSUMER_SETTINGS,
  KAFKA_SETTINGS,
  KAFKA_TOPIC_SETTINGS,
  REDIS_SETTINGS,
} from "../../lib/services/mod.ts";
import { HEARTBEAT_SETTINGS, STATS_SETTINGS } from "../../lib/stats/mod.ts";
import { METRICS_SETTINGS } from "../../lib/metrics/mod.ts";
import { NETWORK_GUARD_SETTINGS } from "../../lib/net/mod.ts";

/** Every setting of the webhook component. */
export const WEBHOOK_SETTINGS = {
  ...REDIS_SETTINGS,
  ...KAFKA_SETTINGS,
  KAFKA_TOPIC_PREFIX: KAFKA_TOPIC_SETTINGS.KAFKA_TOPIC_PREFIX,
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: KAFKA_CONSUMER_SETTINGS.KAFKA_CONSUMER_AUTO_OFFSET_RESET,
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES:
    KAFKA_CONSUMER_SETTINGS.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES,
  ...logSettings("webhook", "webhook.log"),
  STATS_TOTAL: STATS_SETTINGS.STATS_TOTAL,
  STATS_TIMES: STATS_SETTINGS.STATS_TIMES,
  ...HEARTBEAT_SETTINGS,
  ...METRICS_SETTINGS,
  ...NETWORK_GUARD_SETTINGS,
  WEBHOOK_GROUP: str("demo-webhook", "Kafka consumer group of the webhook processes", {
    nonEmpty: true,
  }),
  WEBHOOK_MAX_FAILURES: int(10, "consecutive failed POSTs after which a hook is paused", {
    min: 1,
  }),
  WEBHOOK_TIMEOUT: float(10, "seconds one POST may take (connect, answer)", { exclusiveMin: 0 }),
  WEBHOOK_RETRY_MIN: float(1, "seconds before the first retry of a failed POST (then doubling)", {
    exclusiveMin: 0,
  }),
  WEBHOOK_RETRY_MAX: float(60, "longest wait between retries of a failing hook, seconds", {
    exclusiveMin: 0,
  }),
  WEBHOOK_REFRESH: float(2, "seconds between reads of the registered hooks and their state", {
    exclusiveMin: 0,
  }),
  WEBHOOK_QUEUE_LIMIT: int(
    10_000,
    "items waiting in memory per hook; beyond, the hook's items are parked in Redis (in order)",
    { min: 1 },
  ),
};

/** The loaded webhook settings. */
export type WebhookSettings = SettingsOf<typeof WEBHOOK_SETTINGS>;
