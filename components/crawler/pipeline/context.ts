/**
 * What one crawler shares between its loop and its per-request steps: the injected
 * dependencies ({@linkcode CrawlerDeps}) plus the state built from them once (stats, batched
 * acknowledgements, the memory of sent links, the abort of downloads at shutdown), and how a
 * request ended ({@linkcode CrawlEvent}).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Redis } from "ioredis";
import { ackLeases, type EnqueueCrawl } from "../../../lib/frontier/mod.ts";
import { type BatchingProducer } from "../../../lib/services/mod.ts";
import { redisStatsWriter, StatsCollector, windowsFromNames } from "../../../lib/stats/mod.ts";
import { NetworkGuard } from "../../../lib/net/mod.ts";
import { AckBatcher } from "./acks.ts";
import { RecentlySent } from "./recently_sent.ts";
import type { CrawlerSettings } from "../settings.ts";
import type { QueuedRequest, Spider } from "../spider.ts";
import { CrawlerStats } from "./stats.ts";
import { CrawlerThrottle } from "../live/throttle.ts";

/** What `runCrawler()` needs. */
export interface CrawlerDeps {
  readonly settings: CrawlerSettings;
  readonly redis: Redis;
  readonly producer: BatchingProducer;
  readonly spider: Spider;
  readonly log: Logger;
  /** Host name in stats keys. */
  readonly host: string;
  /** The throttle (live domain config and IP); default: the settings' defaults only. */
  readonly throttle?: CrawlerThrottle;
  /**
   * The network guard every download goes through; default: one built from the settings
   * (`ALLOW_PRIVATE_ADDRESSES`, `ALLOWED_PRIVATE_NETWORKS`), closed when the crawler stops.
   * A guard passed in is the caller's to close.
   */
  readonly guard?: NetworkGuard;
  /** Called after each finished request (tests and benchmarks count with it). */
  readonly onDone?: (event: CrawlEvent) => void;
}

/** How one request ended. */
export type CrawlEvent =
  | { kind: "page"; url: string; status: number; children: number; truncated: boolean }
  /** A redirect: its target enqueued (`enqueued` false: a duplicate or over a limit). */
  | { kind: "redirect"; url: string; status: number; target: string; enqueued: boolean }
  | { kind: "retry"; url: string; reason: string; attempt: number }
  | { kind: "gave_up"; url: string; reason: string }
  /** A permanent failure after a response (the spider's parse threw): error item published. */
  | { kind: "failed"; url: string; status: number; reason: string }
  | { kind: "dropped"; url: string; reason: string }
  /** Never fetched: the network guard or robots.txt refused it. */
  | { kind: "refused"; url: string; refusal: "network" | "robots"; reason: string };

/** One crawler's shared state; built by {@linkcode createContext}. */
export interface CrawlContext {
  readonly settings: CrawlerSettings;
  readonly redis: Redis;
  readonly producer: BatchingProducer;
  readonly spider: Spider;
  readonly log: Logger;
  readonly spiderid: string;
  readonly throttle: CrawlerThrottle;
  /** The network guard of every download. */
  readonly guard: NetworkGuard;
  readonly stats: CrawlerStats;
  readonly acks: AckBatcher;
  readonly recentlySent: RecentlySent;
  /** RETRY_HTTP_CODES as numbers. */
  readonly retryCodes: ReadonlySet<number>;
  /** Aborted when shutdown's grace period is over: in-flight downloads stop. */
  readonly fetchAbort: AbortController;
  readonly onDone: (event: CrawlEvent) => void;
}

/** Builds the shared state of a crawler from its dependencies. */
export function createContext(deps: CrawlerDeps): CrawlContext {
  const { settings: s, log, redis } = deps;
  const spiderid = deps.spider.name;
  const windows = windowsFromNames(
    s.STATS_TIMES,
    (n) => log.warn("Unknown STATS_TIMES {n}", { n }),
  );
  return {
    settings: s,
    redis,
    producer: deps.producer,
    spider: deps.spider,
    log,
    spiderid,
    throttle: deps.throttle ?? new CrawlerThrottle(s, spiderid),
    guard: deps.guard ?? NetworkGuard.fromSettings(s),
    stats: new CrawlerStats(redisStatsWriter(redis, new StatsCollector("crawler", windows)), {
      host: deps.host,
      spiderid,
      statusCodes: s.STATS_STATUS_CODES,
      countedCodes: s.STATS_RESPONSE_CODES,
      onError: (err) => log.warn("Cannot write stats (kept for later): {error}", { error: err }),
    }),
    acks: new AckBatcher((ids) => ackLeases(redis, spiderid, ids), {
      // Unacknowledged leases only mean a page may be crawled again after LEASE_TIMEOUT.
      onError: (err, ids) =>
        log.warn("Cannot acknowledge {n} lease(s): {error}", { n: ids.length, error: err }),
    }),
    // Half the dupefilter's lifetime: Redis surely still holds what was sent within it.
    recentlySent: new RecentlySent(200_000, s.DUPEFILTER_TIMEOUT * 500),
    retryCodes: new Set(s.RETRY_HTTP_CODES.map(Number)),
    fetchAbort: new AbortController(),
    onDone: deps.onDone ?? (() => {}),
  };
}

/** The crawl `req` belongs to, with the filters that apply when enqueueing for it. */
export function crawlOf(ctx: CrawlContext, req: QueuedRequest): EnqueueCrawl {
  const s = ctx.settings;
  return {
    spiderid: ctx.spiderid,
    appid: req.appid,
    crawlid: req.crawlid,
    expires: Number(req.expires) || 0,
    dupefilterTtlSec: s.DUPEFILTER_TIMEOUT,
    domainMaxPages: req.domain_max_pages,
    domainMaxPagesTtlSec: s.DOMAIN_MAX_PAGE_TIMEOUT,
    globalPageLimit: s.GLOBAL_PAGE_PER_DOMAIN_LIMIT,
    globalPageLimitTtlSec: s.GLOBAL_PAGE_PER_DOMAIN_LIMIT_TIMEOUT,
    blockedDomains: ctx.throttle.droppedDomains,
  };
}
