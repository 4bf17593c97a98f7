/**
 * The rest service's settings: Scrapy Cluster's names and defaults where it had them
 * (`WAIT_FOR_RESPONSE_TIME`, `SLEEP_TIME`, `HEARTBEAT_TIMEOUT`, `KAFKA_PRODUCER_TOPIC`; its
 * `FLASK_PORT` is our `REST_PORT`), plus the limits a service exposed to a network needs.
 *
 * @module
 */

import {
  bool,
  compat,
  float,
  int,
  list,
  logSettings,
  oneOf,
  optStr,
  SettingsError,
  type SettingsOf,
  type SettingSpec,
  str,
} from "../../lib/config/mod.ts";
import { parseApiKeys } from "./auth.ts";
import {
  KAFKA_CONSUMER_SETTINGS,
  KAFKA_PRODUCER_SETTINGS,
  KAFKA_SETTINGS,
  KAFKA_TOPIC_SETTINGS,
  REDIS_SETTINGS,
} from "../../lib/services/mod.ts";
import { HEARTBEAT_SETTINGS, STATS_SETTINGS } from "../../lib/stats/mod.ts";
import { NETWORK_GUARD_SETTINGS } from "../../lib/net/mod.ts";
import { CLASSIFIER_SETTINGS } from "../kafka-monitor/plugin_settings.ts";

/** Every setting of the rest service. */
export const REST_SETTINGS = {
  ...REDIS_SETTINGS,
  ...KAFKA_SETTINGS,
  KAFKA_TOPIC_PREFIX: KAFKA_TOPIC_SETTINGS.KAFKA_TOPIC_PREFIX,
  KAFKA_INCOMING_TOPIC: KAFKA_TOPIC_SETTINGS.KAFKA_INCOMING_TOPIC,
  KAFKA_PRODUCER_TOPIC: optStr(
    "Scrapy Cluster's name of the topic /feed produces to; when set, it wins over " +
      "KAFKA_INCOMING_TOPIC",
  ),
  KAFKA_FEED_TIMEOUT: KAFKA_TOPIC_SETTINGS.KAFKA_FEED_TIMEOUT,
  ...KAFKA_CONSUMER_SETTINGS,
  ...KAFKA_PRODUCER_SETTINGS,
  ...logSettings("rest-service", "rest_service.log"),
  STATS_TOTAL: STATS_SETTINGS.STATS_TOTAL,
  STATS_PLUGINS: STATS_SETTINGS.STATS_PLUGINS,
  STATS_TIMES: STATS_SETTINGS.STATS_TIMES,
  ...HEARTBEAT_SETTINGS,
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: oneOf(
    ["earliest", "latest"],
    "latest",
    "where the answer consumer starts (latest: only answers produced after the start)",
  ),
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: compat(
    KAFKA_CONSUMER_SETTINGS.KAFKA_CONSUMER_COMMIT_INTERVAL_MS,
    "has no effect: each rest instance reads answers in a consumer group of its own",
  ),
  REST_HOST: str(
    "127.0.0.1",
    "address to listen on (0.0.0.0 for every interface: then set REST_API_KEYS)",
    { nonEmpty: true },
  ),
  REST_PORT: int(5343, "port to listen on (Scrapy Cluster's FLASK_PORT; 0 = any free port)", {
    min: 0,
    max: 65535,
  }),
  WAIT_FOR_RESPONSE_TIME: float(
    5,
    "seconds /feed waits for an answer before it returns a poll_id",
    { min: 0 },
  ),
  POLL_TTL: int(
    3600,
    "seconds an answer nobody waited for is kept at rest:poll:<uuid> (0 = forever)",
    { min: 0 },
  ),
  MAX_BODY_BYTES: int(1024 * 1024, "largest request body in bytes; larger ones get 413", {
    min: 1,
  }),
  REQUEST_TIMEOUT: float(
    30,
    "seconds one request may take (408 while the body arrives, 503 after)",
    { exclusiveMin: 0 },
  ),
  CORS_ALLOWED_ORIGINS: list(
    [],
    "origins browsers may call from (e.g. https://ui.example.com, or *); empty = CORS off",
  ),
  REST_API_KEYS: apiKeyList(
    "accepted API keys (X-Api-Key or Authorization: Bearer), each with optional scopes: " +
      "key:poll, key:feed+poll (feed, poll, admin; none = all); empty = no authentication",
  ),
  REST_ALLOW_NO_AUTH: bool(
    false,
    "serve without REST_API_KEYS on a non-loopback REST_HOST (refused at start otherwise); " +
      "the Host check stays on",
  ),
  // The kafka-monitor's rows: /feed refuses what the kafka-monitor would refuse.
  ...CLASSIFIER_SETTINGS,
  ...NETWORK_GUARD_SETTINGS,
  SLEEP_TIME: float(5, "seconds between heartbeats (stats:rest:self:<host>:<id>)", {
    exclusiveMin: 0,
  }),
};

/** `REST_API_KEYS`: a list whose entries must parse as keys with scopes (`auth.ts`). */
function apiKeyList(doc: string): SettingSpec<string[]> {
  const spec = list([], doc);
  return {
    ...spec,
    parse(raw, name) {
      const entries = spec.parse(raw, name);
      try {
        parseApiKeys(entries);
      } catch (err) {
        throw new SettingsError(`Cannot start: setting ${name}: ${(err as Error).message}`);
      }
      return entries;
    },
  };
}

/** The loaded rest settings. */
export type RestSettings = SettingsOf<typeof REST_SETTINGS>;

/**
 * The topic `/feed` produces to: Scrapy Cluster's `KAFKA_PRODUCER_TOPIC` when set (a rest
 * settings file carried over from Scrapy Cluster names it so), else `KAFKA_INCOMING_TOPIC`, the
 * name every other component of this project reads.
 */
export function feedTopic(
  settings: Pick<RestSettings, "KAFKA_PRODUCER_TOPIC" | "KAFKA_INCOMING_TOPIC">,
): string {
  return settings.KAFKA_PRODUCER_TOPIC ?? settings.KAFKA_INCOMING_TOPIC;
}
