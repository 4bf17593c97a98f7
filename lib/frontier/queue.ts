/**
 * The crawl frontier in Redis, in Scrapy Cluster's layout: one sorted set of JSON requests per
 * spider type and registered domain (`<spiderid>:<domain>:queue`), higher priority first and
 * first-in-first-out among equal priorities. Our additions make it fast and lossless:
 *
 * - a per-spider index of non-empty domains (`<spiderid>:queue_index`), so nobody scans the
 *   key space to find work;
 * - leases (`leases.ts`) and one-call pops under the domain throttle (`pop.ts`);
 * - every write and pop is one Lua call (`lib/frontier/lua/`), whatever the batch size.
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import { blacklistKey, blacklistMember, dupefilterKey, queueIndexKey, queueKey } from "./keys.ts";
import { type ScriptCommands, scripts } from "./scripts.ts";

/** The score multiplier separating priority from the FIFO sequence (see enqueue.lua). */
export const PRIORITY_SCALE = 2 ** 36;

/** The priority a queue score encodes. */
export function priorityFromScore(score: number): number {
  return -Math.floor(score / PRIORITY_SCALE) || 0; // never -0
}

/** The crawl a batch of requests belongs to, and the filters that apply to it. */
export interface EnqueueCrawl {
  /** The spider whose dupefilter, blacklist and page counters apply. */
  spiderid: string;
  appid: string;
  crawlid: string;
  /** Epoch seconds after which nothing is enqueued; 0 = never. */
  expires: number;
  /** DUPEFILTER_TIMEOUT in seconds. */
  dupefilterTtlSec: number;
  /** domain_max_pages of the crawl (follow-ups only); null/0 = off. */
  domainMaxPages?: number | null;
  domainMaxPagesTtlSec?: number;
  /** GLOBAL_PAGE_PER_DOMAIN_LIMIT (follow-ups only); null/0 = off. */
  globalPageLimit?: number | null;
  globalPageLimitTtlSec?: number;
  /** Domains whose requests are dropped (ZooKeeper blacklist when not kept as backlog). */
  blockedDomains?: readonly string[];
  /**
   * Whether the requests spend (and are checked against) the page limits. False for retries:
   * their page was counted when it was first enqueued. @default true
   */
  countPages?: boolean;
}

/** One request to enqueue. */
export interface EnqueueEntry {
  /** Request fingerprint for the dupefilter; null skips it (retries). */
  fingerprint: string | null;
  /** The spider type whose queue receives it (a spider may hand work to another). */
  spiderid: string;
  domain: string;
  priority: number;
  /** The request JSON. */
  member: string;
}

/** What an enqueue did. */
export interface EnqueueResult {
  added: number;
  duplicates: number;
  /** Blacklisted crawl, expired, blocked domain or over a page limit. */
  rejected: number;
}

function enqueueArgs(crawl: EnqueueCrawl, entries: readonly EnqueueEntry[], nowMs: number) {
  const options = JSON.stringify({
    bl: blacklistMember(crawl.appid, crawl.crawlid),
    now: nowMs / 1000,
    expires: crawl.expires,
    dupe_ttl: crawl.dupefilterTtlSec,
    spider: crawl.spiderid,
    appid: crawl.appid,
    crawlid: crawl.crawlid,
    dmp: crawl.domainMaxPages ?? 0,
    dmp_ttl: crawl.domainMaxPagesTtlSec ?? 600,
    gmax: crawl.globalPageLimit ?? 0,
    gmax_ttl: crawl.globalPageLimitTtlSec ?? 600,
    bl_domains: crawl.blockedDomains?.length ? crawl.blockedDomains : undefined,
    nolimit: crawl.countPages === false ? true : undefined,
  });
  const args = [
    dupefilterKey(crawl.spiderid, crawl.crawlid),
    blacklistKey(crawl.spiderid),
    options,
  ];
  for (const e of entries) {
    args.push(e.fingerprint ?? "", e.spiderid, e.domain, String(e.priority), e.member);
  }
  return args;
}

/** Enqueues requests of one crawl (dupefilter, blacklist, expiry, limits) in one round trip. */
export async function enqueueRequests(
  redis: Redis,
  crawl: EnqueueCrawl,
  entries: readonly EnqueueEntry[],
  nowMs = Date.now(),
): Promise<EnqueueResult> {
  if (entries.length === 0) return { added: 0, duplicates: 0, rejected: 0 };
  const [added, duplicates, rejected] = await scripts<number[]>(redis).enqueue(
    ...enqueueArgs(crawl, entries, nowMs),
  );
  return { added, duplicates, rejected };
}

/**
 * Appends the enqueue to a pipeline (the kafka-monitor writes a whole Kafka batch in one round
 * trip). The pipeline must come from a client passed through `registerScripts`.
 */
export function enqueueInPipeline(
  pipeline: ChainableCommander,
  crawl: EnqueueCrawl,
  entries: readonly EnqueueEntry[],
  nowMs = Date.now(),
): void {
  if (entries.length === 0) return;
  (pipeline as unknown as ScriptCommands<unknown>).enqueue(...enqueueArgs(crawl, entries, nowMs));
}

/**
 * Makes domains ready again at once (their throttle config changed: a wait computed under the
 * old budget must not hold). Only domains already in the index are touched.
 */
export async function wakeDomains(
  redis: Redis,
  spiderid: string,
  domains: readonly string[],
): Promise<void> {
  if (domains.length === 0) return;
  const args = domains.flatMap((d) => ["0", d]);
  await redis.zadd(queueIndexKey(spiderid), "XX", ...args);
}

/** Domains of a spider that have pending requests, from the index. */
export function indexedDomains(redis: Redis, spiderid: string): Promise<string[]> {
  return redis.zrange(queueIndexKey(spiderid), "0", "-1");
}

/** Number of pending requests of a domain. */
export function queueSize(redis: Redis, spiderid: string, domain: string): Promise<number> {
  return redis.zcard(queueKey(spiderid, domain));
}
