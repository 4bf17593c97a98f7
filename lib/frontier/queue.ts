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

import type { ChainableCommander } from "ioredis";
import type { RedisClient } from "../services/redis.ts";
import { blacklistMember, workChannel } from "./keys.ts";
import { parseFamily, queueFamily, registerFamily, tagFamiliesKey } from "./families.ts";
import type { FrontierLayout } from "./layout.ts";
import { type ScriptCommands, scripts } from "./scripts.ts";

/** The score multiplier separating priority from the FIFO sequence (see enqueue.lua). */
export const PRIORITY_SCALE = 2 ** 36;

/**
 * Scores closer than this to 0 are Scrapy Cluster's (`-priority`); ours never are (our FIFO
 * sequence stays this far from every multiple of {@linkcode PRIORITY_SCALE}).
 */
export const FOREIGN_SCORE_BOUND = 2 ** 20;

/** Whether a queue score was written by Scrapy Cluster (or anything else writing `-priority`). */
export function isForeignScore(score: number): boolean {
  return Math.abs(score) < FOREIGN_SCORE_BOUND;
}

/** The priority a queue score encodes, ours or Scrapy Cluster's. */
export function priorityFromScore(score: number): number {
  if (isForeignScore(score)) return -Math.round(score) || 0;
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
  /** The request's node tags: only crawlers with all of them take it (see `families.ts`). */
  tags?: readonly string[] | null;
  domain: string;
  priority: number;
  /** The stored request: its compact JSON (`encodeRequest`, lib/api/compact_request.ts). */
  member: string;
}

/** What an enqueue did. */
export interface EnqueueResult {
  added: number;
  duplicates: number;
  /** Blacklisted crawl, expired, blocked domain or over a page limit. */
  rejected: number;
}

/** The tagged queue families entries go to (to record before writing into them). */
function taggedFamilies(entries: readonly EnqueueEntry[]): Set<string> {
  const families = new Set<string>();
  for (const e of entries) if (e.tags?.length) families.add(queueFamily(e.spiderid, e.tags));
  return families;
}

/** The script calls of one enqueue: one per shard and target queue family. */
function enqueueCalls(
  layout: FrontierLayout,
  crawl: EnqueueCrawl,
  entries: readonly EnqueueEntry[],
  nowMs: number,
): (string | number)[][] {
  const options = {
    bl: blacklistMember(crawl.appid, crawl.crawlid),
    now: nowMs / 1000,
    expires: crawl.expires,
    dupe_ttl: crawl.dupefilterTtlSec,
    appid: crawl.appid,
    crawlid: crawl.crawlid,
    dmp: crawl.domainMaxPages ?? 0,
    dmp_ttl: crawl.domainMaxPagesTtlSec ?? 600,
    gmax: crawl.globalPageLimit ?? 0,
    gmax_ttl: crawl.globalPageLimitTtlSec ?? 600,
    bl_domains: crawl.blockedDomains?.length ? crawl.blockedDomains : undefined,
    nolimit: crawl.countPages === false ? true : undefined,
  };
  // shard + target spider → domain → entries
  const groups = new Map<string, Map<string, EnqueueEntry[]>>();
  for (const e of entries) {
    const group = `${layout.of(e.domain).id}\n${queueFamily(e.spiderid, e.tags)}`;
    let domains = groups.get(group);
    if (!domains) groups.set(group, domains = new Map());
    const list = domains.get(e.domain);
    if (list) list.push(e);
    else domains.set(e.domain, [e]);
  }
  const calls: (string | number)[][] = [];
  for (const [group, domains] of groups) {
    const family = group.slice(group.indexOf("\n") + 1);
    const shard = layout.shards[Number(group.slice(0, group.indexOf("\n")))];
    const keys = [
      shard.dupefilter(crawl.spiderid, crawl.crawlid),
      shard.blacklist(crawl.spiderid),
      shard.seq(family),
      shard.index(family),
    ];
    const wake = workChannel(parseFamily(family).spiderid);
    const args: (string | number)[] = [JSON.stringify({ ...options, wake })];
    for (const [domain, list] of domains) {
      keys.push(
        shard.queue(family, domain),
        shard.backlog(family, domain),
        shard.domainMaxPage(crawl.spiderid, domain, crawl.crawlid),
        shard.globalPageCount(crawl.spiderid, domain, crawl.crawlid),
      );
      args.push(domain, list.length);
      for (const e of list) args.push(e.fingerprint ?? "", e.priority, e.member);
    }
    calls.push([keys.length, ...keys, ...args]);
  }
  return calls;
}

/**
 * Enqueues requests of one crawl (dupefilter, blacklist, expiry, limits): one script call per
 * frontier shard the requests fall in (one in all on a plain Redis), sent together.
 */
export async function enqueueRequests(
  redis: RedisClient,
  layout: FrontierLayout,
  crawl: EnqueueCrawl,
  entries: readonly EnqueueEntry[],
  nowMs = Date.now(),
): Promise<EnqueueResult> {
  const result = { added: 0, duplicates: 0, rejected: 0 };
  if (entries.length === 0) return result;
  for (const family of taggedFamilies(entries)) await registerFamily(redis, family);
  const run = scripts<number[]>(redis);
  const replies = await Promise.all(
    enqueueCalls(layout, crawl, entries, nowMs).map((call) => run.enqueue(...call)),
  );
  for (const [added, duplicates, rejected] of replies) {
    result.added += added;
    result.duplicates += duplicates;
    result.rejected += rejected;
  }
  return result;
}

/**
 * Appends the enqueue to a pipeline (the kafka-monitor writes a whole Kafka batch in one round
 * trip): one script call per shard the requests fall in, each in one slot, so a pipeline that
 * groups commands by node can carry them on Redis Cluster. The pipeline must come from a
 * client passed through `registerScripts`.
 */
export function enqueueInPipeline(
  pipeline: ChainableCommander,
  layout: FrontierLayout,
  crawl: EnqueueCrawl,
  entries: readonly EnqueueEntry[],
  nowMs = Date.now(),
): void {
  if (entries.length === 0) return;
  for (const family of taggedFamilies(entries)) {
    pipeline.sadd(tagFamiliesKey(parseFamily(family).spiderid), family);
  }
  for (const call of enqueueCalls(layout, crawl, entries, nowMs)) {
    (pipeline as unknown as ScriptCommands<unknown>).enqueue(...call);
  }
}

/**
 * Makes domains ready again at once (their throttle config changed: a wait computed under the
 * old budget must not hold). Only domains already in the index are touched.
 */
export async function wakeDomains(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  domains: readonly string[],
): Promise<void> {
  const byShard = new Map<number, string[]>();
  for (const d of domains) {
    const i = layout.of(d).id;
    byShard.set(i, [...(byShard.get(i) ?? []), "0", d]);
  }
  await Promise.all(
    [...byShard].map(([i, args]) => redis.zadd(layout.shards[i].index(spiderid), "XX", ...args)),
  );
}

/** Domains of a spider that have pending requests, from the index of every shard. */
export async function indexedDomains(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
): Promise<string[]> {
  const lists = await Promise.all(
    layout.shards.map((shard) => redis.zrange(shard.index(spiderid), "0", "-1")),
  );
  return lists.flat();
}

/** Number of pending requests of a domain. */
export function queueSize(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  domain: string,
): Promise<number> {
  return redis.zcard(layout.of(domain).queue(spiderid, domain));
}
