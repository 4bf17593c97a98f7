/**
 * What one crawler shares between its loop and its per-request steps: the injected
 * dependencies ({@linkcode CrawlerDeps}) plus the state built from them once (stats, batched
 * acknowledgements, the memory of sent links, the abort of downloads at shutdown), and how a
 * request ended ({@linkcode CrawlEvent}).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import {
  ackLeases,
  type EnqueueCrawl,
  type FrontierLayout,
  type LeaseHolder,
} from "../../../lib/frontier/mod.ts";
import { CrawlerFamilies } from "./families.ts";
import { type BatchingProducer } from "../../../lib/services/mod.ts";
import {
  crawlerHeartbeatKey,
  type Heartbeat,
  redisStatsWriter,
  StatsCollector,
  windowsFromNames,
} from "../../../lib/stats/mod.ts";
import { NetworkGuard } from "../../../lib/net/mod.ts";
import { AckBatcher } from "./acks.ts";
import { DeliveryBackoff, Holdings } from "./holdings.ts";
import { RecentKeys } from "./recent_keys.ts";
import type { CrawlerSettings } from "../settings.ts";
import type { QueuedRequest, Spider } from "../spider.ts";
import { CrawlerStats } from "./stats.ts";
import { SpiderMetrics } from "../../../lib/metrics/mod.ts";
import { ProgressRecorder } from "../../../lib/api/progress_recorder.ts";
import { CrawlerThrottle } from "../live/throttle.ts";
import type { RedisClient } from "../../../lib/services/redis.ts";

/** What `runCrawler()` needs. */
export interface CrawlerDeps {
  readonly settings: CrawlerSettings;
  readonly redis: RedisClient;
  readonly producer: BatchingProducer;
  readonly spider: Spider;
  readonly log: Logger;
  /** Host name in stats keys. */
  readonly host: string;
  /**
   * This crawler's id in its heartbeat key (`stats:crawler:<host>:<spiderid>:<id>`) and in its
   * leases (`main.ts` passes the process id); default: a fresh 12-hex-digit id.
   */
  readonly id?: string;
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
  /** The frontier's shards; default: opened from Redis and FRONTIER_SHARDS. */
  readonly layout?: FrontierLayout;
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
  /** Its output could not be delivered (Kafka or Redis away): back to its queue, unchanged. */
  | { kind: "returned"; url: string; reason: string }
  /** Never fetched: the network guard or robots.txt refused it. */
  | { kind: "refused"; url: string; refusal: "network" | "robots"; reason: string };

/** One crawler's shared state; built by {@linkcode createContext}. */
export interface CrawlContext {
  readonly settings: CrawlerSettings;
  readonly redis: RedisClient;
  /** Which frontier shard holds each domain. */
  readonly layout: FrontierLayout;
  /** The queue families this crawler pops from (its spider type's own, and tagged ones). */
  readonly families: CrawlerFamilies;
  readonly producer: BatchingProducer;
  readonly spider: Spider;
  readonly log: Logger;
  readonly spiderid: string;
  readonly throttle: CrawlerThrottle;
  /** The network guard of every download. */
  readonly guard: NetworkGuard;
  readonly stats: CrawlerStats;
  /** Prometheus counters of this spider type (served when METRICS_PORT is set). */
  readonly metrics: SpiderMetrics;
  readonly acks: AckBatcher;
  /** Who holds this crawler's leases: its id and heartbeat key. */
  readonly holder: LeaseHolder;
  /** The heartbeat that keeps this crawler's leases (see `lib/stats/heartbeat.ts`). */
  readonly heartbeat: Heartbeat;
  /** This crawler's own leases: what to settle after a failure. */
  readonly holdings: Holdings;
  /** The pause of pops after a page's output could not be delivered. */
  readonly delivery: DeliveryBackoff;
  readonly recentlySent: RecentKeys;
  /** Cookie jars read empty lately: not read again per download (`recent_keys.ts`). */
  readonly emptyJars: RecentKeys;
  /** RETRY_HTTP_CODES as numbers. */
  readonly retryCodes: ReadonlySet<number>;
  /** Aborted when shutdown's grace period is over: in-flight downloads stop. */
  readonly fetchAbort: AbortController;
  readonly onDone: (event: CrawlEvent) => void;
}

/**
 * How long a cookie jar read empty is not read again: the longest a cookie another crawler stored
 * can go unsent while the announcement subscription is down (it is forgotten at once otherwise).
 */
const EMPTY_JAR_MEMORY_MS = 2_000;

/** The lease holder of a crawler: its id (or a fresh one) and heartbeat key. */
export function holderOf(deps: CrawlerDeps): LeaseHolder {
  const id = deps.id ?? crypto.randomUUID().split("-").pop()!;
  return { id, heartbeatKey: crawlerHeartbeatKey(deps.host, deps.spider.name, id) };
}

/** Builds the shared state of a crawler from its dependencies and its running heartbeat. */
export function createContext(
  deps: CrawlerDeps,
  holder: LeaseHolder,
  heartbeat: Heartbeat,
  layout: FrontierLayout,
): CrawlContext {
  const { settings: s, log, redis } = deps;
  const spiderid = deps.spider.name;
  const holdings = new Holdings(holder, {
    // Now and then anyway: a lost reply on a connection that was replaced is found late.
    auditMs: Math.max(30_000, s.HEARTBEAT_TIMEOUT * 3000),
  });
  const windows = windowsFromNames(
    s.STATS_TIMES,
    (n) => log.warn("Unknown STATS_TIMES {n}", { n }),
  );
  return {
    settings: s,
    redis,
    layout,
    families: new CrawlerFamilies(spiderid, s.CRAWLER_TAGS, layout.count > 1),
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
      progress: new ProgressRecorder(redis, { ttlSec: s.DUPEFILTER_TIMEOUT }),
    }),
    metrics: new SpiderMetrics(spiderid),
    acks: new AckBatcher((ids) => ackLeases(redis, layout, spiderid, ids), {
      // Acknowledged again by the next settlement of the crawler's leases.
      onError: (err, ids) => {
        holdings.ackFailed(ids);
        log.warn("Cannot acknowledge {n} lease(s) (will retry): {error}", {
          n: ids.length,
          error: err,
        });
      },
    }),
    holder,
    heartbeat,
    holdings,
    delivery: new DeliveryBackoff(),
    // Half the dupefilter's lifetime: Redis surely still holds what was sent within it.
    recentlySent: new RecentKeys(200_000, s.DUPEFILTER_TIMEOUT * 500),
    emptyJars: new RecentKeys(100_000, EMPTY_JAR_MEMORY_MS),
    retryCodes: new Set(s.RETRY_HTTP_CODES.map(Number)),
    fetchAbort: new AbortController(),
    onDone: deps.onDone ?? (() => {}),
  };
}

/**
 * The crawl `req` belongs to, with the filters that apply when enqueueing for it (pass
 * `countPages: false` for a retry: its page was counted when it was first enqueued).
 */
export function crawlOf(
  ctx: CrawlContext,
  req: QueuedRequest,
  opts: { countPages?: boolean } = {},
): EnqueueCrawl {
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
    countPages: opts.countPages ?? true,
  };
}
