/**
 * The crawler's settings: Scrapy Cluster's names and defaults (crawling/settings.py), plus ours
 * (`LEASE_TIMEOUT`, `DOWNLOAD_MAXSIZE`, `SPIDER`, ...). The loop's own rows are here; the rows
 * of one module sit beside it (throttle, live config, public IP, downloads) and are composed
 * in.
 *
 * @module
 */

import { bool, int, list, logSettings, type SettingsOf, str } from "../../lib/config/mod.ts";
import {
  KAFKA_PRODUCER_SETTINGS,
  KAFKA_SETTINGS,
  KAFKA_TOPIC_SETTINGS,
  REDIS_SETTINGS,
} from "../../lib/services/mod.ts";
import { FRONTIER_SETTINGS } from "../../lib/frontier/mod.ts";
import { STATS_SETTINGS } from "../../lib/stats/mod.ts";
import { BACKLOG_SAMPLE_SETTINGS, METRICS_SETTINGS } from "../../lib/metrics/mod.ts";
import { NETWORK_GUARD_SETTINGS } from "../../lib/net/mod.ts";
import { FETCH_SETTINGS } from "./fetch/settings.ts";
import { LIVE_CONFIG_SETTINGS } from "./live/live_config.ts";
import { PUBLIC_IP_SETTINGS } from "./live/public_ip.ts";
import { THROTTLE_SETTINGS } from "./live/throttle.ts";
import { ROBOTS_SETTINGS } from "./robots/settings.ts";

/** Every setting of the crawler. */
export const CRAWLER_SETTINGS = {
  ...REDIS_SETTINGS,
  ...FRONTIER_SETTINGS,
  ...KAFKA_SETTINGS,
  KAFKA_TOPIC_PREFIX: KAFKA_TOPIC_SETTINGS.KAFKA_TOPIC_PREFIX,
  ...KAFKA_PRODUCER_SETTINGS,
  ...logSettings("sc-crawler", "sc_crawler.log"),
  STATS_TIMES: STATS_SETTINGS.STATS_TIMES,
  STATS_CYCLE: STATS_SETTINGS.STATS_CYCLE,
  SPIDER: str("link", "spider to run: a built-in (link, wandering) or a module path", {
    nonEmpty: true,
  }),
  CRAWLER_TAGS: list(
    [],
    "node tags of this crawler: it also takes requests whose tags are all among these",
  ),
  KAFKA_APPID_TOPICS: bool(false, "also send each page to <prefix>.crawled_<appid>"),
  KAFKA_BASE_64_ENCODE: bool(false, "base64-encode page bodies in result items"),
  CONCURRENT_REQUESTS: int(16, "downloads in flight per crawler process", { min: 1 }),
  CONCURRENT_REQUESTS_PER_DOMAIN: int(8, "downloads in flight per domain and process", {
    min: 1,
  }),
  ...FETCH_SETTINGS,
  ...NETWORK_GUARD_SETTINGS,
  RETRY_TIMES: int(3, "retries of a page after a timeout, connection error or retryable status", {
    min: 0,
  }),
  RETRY_HTTP_CODES: list(
    ["500", "502", "503", "504", "522", "524", "408", "429"],
    "HTTP statuses that are retried",
  ),
  REDIRECT_MAX_TIMES: int(20, "redirects followed for one request before it is given up", {
    min: 0,
  }),
  REDIRECT_PRIORITY_ADJUST: int(2, "priority of a redirect's follow-up relative to the 3xx"),
  COOKIES_ENABLED: bool(true, "send cookies (the crawl's, scoped; those sites set) and keep them"),
  DUPEFILTER_TIMEOUT: int(600, "seconds a crawl's dupefilter lives after its last use", {
    min: 1,
  }),
  DOMAIN_MAX_PAGE_TIMEOUT: int(600, "seconds a domain_max_pages counter lives", { min: 1 }),
  GLOBAL_PAGE_PER_DOMAIN_LIMIT: int(
    0,
    "hard cap of pages per spider, domain and crawl (0 = off)",
    { min: 0 },
  ),
  GLOBAL_PAGE_PER_DOMAIN_LIMIT_TIMEOUT: int(600, "seconds a global page counter lives", {
    min: 1,
  }),
  LEASE_TIMEOUT: int(
    120,
    "seconds a taken request stays reserved; after that, if its crawler died, it goes back",
    { min: 1 },
  ),
  HEARTBEAT_TIMEOUT: int(
    10,
    "seconds without a heartbeat after which a crawler counts as gone and its requests go back",
    { min: 1 },
  ),
  IDLE_POLL_MS: int(200, "milliseconds between looks for work when the queues are empty", {
    min: 1,
  }),
  ...THROTTLE_SETTINGS,
  ...ROBOTS_SETTINGS,
  ...PUBLIC_IP_SETTINGS,
  ...LIVE_CONFIG_SETTINGS,
  STATS_STATUS_CODES: bool(true, "count responses per status code"),
  STATS_RESPONSE_CODES: list(["200", "404", "403", "504"], "status codes counted in stats"),
  ...METRICS_SETTINGS,
  ...BACKLOG_SAMPLE_SETTINGS,
};

/** The loaded crawler settings. */
export type CrawlerSettings = SettingsOf<typeof CRAWLER_SETTINGS>;
