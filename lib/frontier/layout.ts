/**
 * Where the frontier's keys live: one shard on a plain Redis (Scrapy Cluster's key names,
 * unchanged), N shards on Redis Cluster. A domain belongs to one shard (a hash of its name), and
 * every key a frontier script touches for that domain — its queue, its backlog counters, its
 * throttle keys, and the shard's index, sequence, leases, blacklist copy and dupefilters — carries
 * the shard's hash tag (`{f3-17}…`), so each script call stays in one slot while the domains, and
 * so the pops, spread over every master. Crawlers rotate over the shards.
 *
 * Tags are chosen so shard i hashes into the i-th of N equal slot ranges: with `redis-cli
 * --cluster create`'s even split, the shards spread evenly over the masters.
 *
 * The shard count is recorded in Redis ({@linkcode FRONTIER_SHARDS_KEY}) by the first component
 * that starts, and every other component refuses a different one: two components routing a
 * domain to different shards would lose its requests.
 *
 * @module
 */

import calculateSlot from "cluster-key-slot";
import { isRedisCluster, type RedisClient } from "../services/redis.ts";
import { int } from "../config/parsers.ts";
import {
  blacklistKey,
  domainMaxPageKey,
  dupefilterKey,
  globalPageCountKey,
  leaseHoldersKey,
  leasesKey,
  popSeqKey,
  queueBacklogKey,
  queueIndexKey,
  queueKey,
  queueSeqKey,
  throttleTimeKey,
  throttleWindowKey,
} from "./keys.ts";

/** Redis Cluster's slot count. */
const SLOTS = 16384;

/** The key that records how many shards the frontier has (outside every shard). */
export const FRONTIER_SHARDS_KEY = "crawl_cluster:frontier_shards";

/** The shard count on Redis Cluster when FRONTIER_SHARDS is 0 (auto). */
export const DEFAULT_CLUSTER_SHARDS = 16;

/** FNV-1a, 32 bits: a fast, stable hash of a domain name. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A hash tag whose slot falls in shard `i`'s share of the slot range. */
function shardTag(i: number, shards: number): string {
  const low = Math.floor((i * SLOTS) / shards);
  const high = Math.floor(((i + 1) * SLOTS) / shards);
  for (let n = 0;; n++) {
    const name = `f${i}-${n}`;
    const slot = calculateSlot(name);
    if (slot >= low && slot < high) return `{${name}}`;
  }
}

/** The keys of one frontier shard (every name carries the shard's tag; none on one shard). */
export class FrontierShard {
  constructor(
    /** The shard's number, 0 … shards-1. */
    readonly id: number,
    /** The hash tag prefixed to every key ("" when there is only one shard). */
    readonly tag: string,
  ) {}

  /** Pending requests of a spider type and domain (`<spiderid>:<domain>:queue`). */
  queue(spiderid: string, domain: string): string {
    return this.tag + queueKey(spiderid, domain);
  }
  /** Pending requests per `<appid>\t<crawlid>\t<priority>` of that queue. */
  backlog(spiderid: string, domain: string): string {
    return this.tag + queueBacklogKey(spiderid, domain);
  }
  /** The shard's domains with pending requests → earliest pop time (ms). */
  index(spiderid: string): string {
    return this.tag + queueIndexKey(spiderid);
  }
  /** The FIFO counter of the shard's queues. */
  seq(spiderid: string): string {
    return this.tag + queueSeqKey(spiderid);
  }
  /** Leased requests of the shard → deadline (ms). */
  leases(spiderid: string): string {
    return this.tag + leasesKey(spiderid);
  }
  /** Crawlers holding leases of the shard → their heartbeat keys. */
  holders(spiderid: string): string {
    return this.tag + leaseHoldersKey(spiderid);
  }
  /** The shard's pop counter (lease tokens). */
  popSeq(spiderid: string): string {
    return this.tag + popSeqKey(spiderid);
  }
  /** The shard's copy of the stopped/expired crawls (every shard holds all of them). */
  blacklist(spiderid: string): string {
    return this.tag + blacklistKey(spiderid);
  }
  /** Fingerprints a crawl has seen among the shard's domains. */
  dupefilter(spiderid: string, crawlid: string): string {
    return this.tag + dupefilterKey(spiderid, crawlid);
  }
  /** The `domain_max_pages` counter of a domain and crawl. */
  domainMaxPage(spiderid: string, domain: string, crawlid: string): string {
    return this.tag + domainMaxPageKey(spiderid, domain, crawlid);
  }
  /** The GLOBAL_PAGE_PER_DOMAIN_LIMIT counter of a domain and crawl. */
  globalPageCount(spiderid: string, domain: string, crawlid: string): string {
    return this.tag + globalPageCountKey(spiderid, domain, crawlid);
  }
  /** Hits of a throttle key's window (`throttle` = `[spiderid:][ip:]domain`). */
  throttleWindow(throttle: string): string {
    return this.tag + throttleWindowKey(throttle);
  }
  /** The last moderated slot of a throttle key. */
  throttleTime(throttle: string): string {
    return this.tag + throttleTimeKey(throttle);
  }
}

/** How the frontier is split into shards, and which shard holds a domain. */
export class FrontierLayout {
  readonly shards: readonly FrontierShard[];
  readonly #byTag: Map<string, FrontierShard>;

  constructor(count = 1) {
    if (!Number.isInteger(count) || count < 1 || count > 1024) {
      throw new RangeError(`a frontier has 1 to 1024 shards, not ${count}`);
    }
    this.shards = Array.from(
      { length: count },
      (_, i) => new FrontierShard(i, count === 1 ? "" : shardTag(i, count)),
    );
    this.#byTag = new Map(this.shards.map((s) => [s.tag, s]));
  }

  /** The number of shards. */
  get count(): number {
    return this.shards.length;
  }

  /** The shard holding a domain's queues, counters and throttle keys. */
  of(domain: string): FrontierShard {
    return this.shards.length === 1
      ? this.shards[0]
      : this.shards[fnv1a(domain) % this.shards.length];
  }

  /**
   * Splits a key into its shard and the name without tag; null for a key of another layout
   * (a tag this layout does not use, or a tagless key when there are several shards).
   */
  untag(key: string): { shard: FrontierShard; name: string } | null {
    if (this.shards.length === 1) {
      return key.startsWith("{") ? null : { shard: this.shards[0], name: key };
    }
    const end = key.indexOf("}");
    if (!key.startsWith("{") || end < 0) return null;
    const shard = this.#byTag.get(key.slice(0, end + 1));
    return shard ? { shard, name: key.slice(end + 1) } : null;
  }
}

const opened = new WeakMap<RedisClient, Promise<FrontierLayout>>();

/**
 * The frontier layout of this Redis: the shard count recorded in {@linkcode FRONTIER_SHARDS_KEY}
 * (written by the first component to start: `configured`, or when 0, 1 on a plain Redis and
 * {@linkcode DEFAULT_CLUSTER_SHARDS} on Redis Cluster). Rejects when `configured` differs from
 * the recorded count: components that disagree would look for a domain in different shards.
 * Read once per client (again after a failure).
 */
export function openFrontierLayout(redis: RedisClient, configured = 0): Promise<FrontierLayout> {
  let layout = opened.get(redis);
  if (!layout) {
    layout = readLayout(redis, configured);
    opened.set(redis, layout);
    layout.catch(() => opened.delete(redis));
  }
  return layout;
}

async function readLayout(redis: RedisClient, configured: number): Promise<FrontierLayout> {
  const wanted = configured || (isRedisCluster(redis) ? DEFAULT_CLUSTER_SHARDS : 1);
  await redis.set(FRONTIER_SHARDS_KEY, String(wanted), "NX");
  const stored = Number(await redis.get(FRONTIER_SHARDS_KEY));
  if (configured > 0 && stored !== configured) {
    throw new Error(
      `FRONTIER_SHARDS=${configured}, but this Redis holds a frontier of ${stored} shard(s) ` +
        `(${FRONTIER_SHARDS_KEY}): set FRONTIER_SHARDS=${stored} (or 0), or move the frontier ` +
        `with 'deno task migrate'`,
    );
  }
  return new FrontierLayout(stored);
}

/** The frontier setting of every component that reads or writes the frontier. */
export const FRONTIER_SETTINGS = {
  FRONTIER_SHARDS: int(
    0,
    "frontier shards (0 = 1 on plain Redis, 16 on Redis Cluster); all components must agree",
    { min: 0, max: 1024 },
  ),
};
