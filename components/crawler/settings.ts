/**
 * The crawler's settings: Scrapy Cluster's names and defaults (crawling/settings.py), plus ours
 * (`LEASE_TIMEOUT`, `DOWNLOAD_MAXSIZE`, `SPIDER`, ...).
 *
 * @module
 */

import {
  bool,
  float,
  int,
  KAFKA_SETTINGS,
  list,
  logSettings,
  REDIS_SETTINGS,
  type SettingsOf,
  STATS_SETTINGS,
  str,
} from "../../lib/config/settings.ts";

/** Every setting of the crawler. */
export const CRAWLER_SETTINGS = {
  ...REDIS_SETTINGS,
  ...KAFKA_SETTINGS,
  ...logSettings("crawler", "sc_crawler.log"),
  ...STATS_SETTINGS,
  SPIDER: str("link", "spider to run: a built-in (link, wandering) or a module path", {
    nonEmpty: true,
  }),
  KAFKA_APPID_TOPICS: bool(false, "also send each page to <prefix>.crawled_<appid>"),
  KAFKA_BASE_64_ENCODE: bool(false, "base64-encode page bodies in result items"),
  CONCURRENT_REQUESTS: int(16, "pages in flight per crawler process", { min: 1 }),
  CONCURRENT_REQUESTS_PER_DOMAIN: int(8, "pages in flight per domain and process", { min: 1 }),
  DOWNLOAD_TIMEOUT: float(10, "seconds for one page: connect, headers and body", {
    exclusiveMin: 0,
  }),
  DOWNLOAD_MAXSIZE: int(
    10 * 1024 * 1024,
    "bytes of a page body kept; longer bodies are cut and flagged 'truncated'",
    { min: 1 },
  ),
  USER_AGENT: str(
    "crawl-cluster/0.1",
    "User-Agent when a request names none (its 'useragent' field wins)",
  ),
  RETRY_TIMES: int(3, "retries of a page after a timeout, connection error or retryable status", {
    min: 0,
  }),
  RETRY_HTTP_CODES: list(
    ["500", "502", "503", "504", "522", "524", "408", "429"],
    "HTTP statuses that are retried",
  ),
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
  SCHEDULER_IP_REFRESH: int(60, "seconds between heartbeats (the key lives twice as long)", {
    min: 1,
  }),
  LEASE_TIMEOUT: int(
    120,
    "seconds a taken request stays reserved; after that, if its crawler died, it goes back",
    { min: 1 },
  ),
  IDLE_POLL_MS: int(200, "milliseconds between looks for work when the queues are empty", {
    min: 1,
  }),
  THROTTLE_ENABLED: bool(
    true,
    "throttle pops per domain cluster-wide (false: no budget; for benchmarks and your own sites)",
  ),
  QUEUE_HITS: int(10, "pops per QUEUE_WINDOW per domain (per throttle key), cluster-wide", {
    min: 0,
  }),
  QUEUE_WINDOW: float(60, "seconds of the throttle window", { exclusiveMin: 0 }),
  QUEUE_MODERATED: bool(true, "spread a domain's pops evenly, one per QUEUE_WINDOW/QUEUE_HITS"),
  SCHEDULER_TYPE_ENABLED: bool(true, "separate throttle budgets per spider type"),
  SCHEDULER_IP_ENABLED: bool(true, "separate throttle budgets per crawler public IP"),
  SCHEDULER_BACKLOG_BLACKLIST: bool(
    true,
    "keep requests of ZooKeeper-blacklisted domains queued (true) or drop them (false)",
  ),
  PUBLIC_IP_URL: str(
    "",
    "service answering with the crawler's public IP, e.g. http://ip.42.pl/raw (Scrapy " +
      "Cluster's default); empty: no lookup, PUBLIC_IP is used",
  ),
  IP_ADDR_REGEX: str(
    "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})",
    "regex finding the IP in the service's answer",
  ),
  PUBLIC_IP: str("127.0.0.1", "IP used until (or unless) PUBLIC_IP_URL answers", {
    nonEmpty: true,
  }),
  ZOOKEEPER_HOSTS: str("localhost:2181", "ZooKeeper servers, comma separated", { nonEmpty: true }),
  ZOOKEEPER_ASSIGN_PATH: str("/scrapy-cluster/crawler/", "ZooKeeper folder of the domain config", {
    nonEmpty: true,
  }),
  ZOOKEEPER_ID: str("all", "node name of the domain config under ZOOKEEPER_ASSIGN_PATH", {
    nonEmpty: true,
  }),
  STATS_STATUS_CODES: bool(true, "count responses per status code"),
  STATS_RESPONSE_CODES: list(["200", "404", "403", "504"], "status codes counted in stats"),
};

/** The loaded crawler settings. */
export type CrawlerSettings = SettingsOf<typeof CRAWLER_SETTINGS>;
