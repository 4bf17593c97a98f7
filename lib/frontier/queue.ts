/**
 * The crawl frontier in Redis, in Scrapy Cluster's layout: one sorted set of JSON requests per
 * spider type and registered domain (`<spiderid>:<domain>:queue`), higher priority first and
 * first-in-first-out among equal priorities. Our additions make it fast and lossless:
 *
 * - a per-spider index of non-empty domains (`<spiderid>:queue_index`), so nobody scans the
 *   key space to find work;
 * - leases (`<spiderid>:leases`): a popped request stays recorded until the crawler
 *   acknowledges it after its result reached Kafka; a crawler that dies leaves leases whose
 *   deadline passes, and any crawler puts those requests back;
 * - every write and pop is one Lua call (`lib/frontier/lua/`), whatever the batch size.
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import {
  blacklistKey,
  blacklistMember,
  dupefilterKey,
  leasesKey,
  queueIndexKey,
  queueKey,
} from "./keys.ts";
import { registerScripts, type ScriptCommands, scripts } from "./scripts.ts";

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

/** A request held under a lease. */
export interface Lease {
  /** The lease as stored (pass it back to ack or return). */
  readonly id: string;
  readonly domain: string;
  /** The queue score the request had (it keeps its place when returned). */
  readonly score: string;
  readonly priority: number;
  /** The request JSON. */
  readonly member: string;
}

/** Splits a stored lease into its parts. */
export function parseLease(id: string): Lease {
  const first = id.indexOf("\n");
  const second = id.indexOf("\n", first + 1);
  const score = id.slice(first + 1, second);
  return {
    id,
    domain: id.slice(0, first),
    score,
    priority: priorityFromScore(Number(score)),
    member: id.slice(second + 1),
  };
}

/**
 * The cluster-wide domain throttle a crawler applies when it pops (see frontier_pop.lua):
 * at most `hits` pops per `windowSec` per throttle key, optionally spaced evenly.
 */
export interface ThrottleSpec {
  /** Throttle at all (false: no budget per domain; benchmarks, your own sites). */
  enabled: boolean;
  /** QUEUE_WINDOW: the default window in seconds. */
  windowSec: number;
  /** QUEUE_HITS: the default pops per window. */
  hits: number;
  /** QUEUE_MODERATED: pops spread evenly, one per window/hits seconds (elastic schedule). */
  moderated: boolean;
  /** Throttle key prefix per style: "", "<spiderid>:", "<ip>:" or "<spiderid>:<ip>:". */
  keyPrefix: string;
  /** Whether a waiting domain's index entry may move into the future (not with per-IP keys). */
  scheduleAhead: boolean;
  /** Per-domain [windowSec, hits] from ZooKeeper (hits already scaled). */
  domains: Readonly<Record<string, readonly [number, number]>>;
  /** ZooKeeper-blacklisted domains: never popped. */
  blocked: readonly string[];
}

const throttleJson = new WeakMap<ThrottleSpec, string>();

/** The script argument for a throttle (computed once per spec object). */
function throttleArg(spec: ThrottleSpec | undefined): string {
  if (!spec) return "";
  let json = throttleJson.get(spec);
  if (json === undefined) {
    json = JSON.stringify({
      on: spec.enabled,
      w: spec.windowSec,
      h: spec.hits,
      mod: spec.moderated,
      prefix: spec.keyPrefix,
      ahead: spec.scheduleAhead,
      // cjson decodes an empty object as an empty array: both read as "no overrides".
      domains: spec.domains,
      blocked: spec.blocked,
    });
    throttleJson.set(spec, json);
  }
  return json;
}

/** Options of {@linkcode popLeased}. */
export interface PopOptions {
  /** At most this many requests in total. */
  max: number;
  /** At most this many from one domain. @default max */
  perDomain?: number;
  /** Lease duration. */
  leaseMs: number;
  /** How many ready domains one call looks at. @default 64 */
  candidates?: number;
  /** Domains this crawler must not take more from right now. */
  skipDomains?: Iterable<string>;
  /** The domain throttle; none = take freely. */
  throttle?: ThrottleSpec;
  /** The time; 0 = the Redis server's clock, shared by every crawler. @default 0 */
  nowMs?: number;
}

/** A request dropped at pop time. */
export interface DroppedRequest {
  reason: "stopped" | "expired" | "invalid";
  member: string;
}

/** Takes up to `max` requests from the spider's ready domains, each under a lease. */
export async function popLeased(
  redis: Redis,
  spiderid: string,
  opts: PopOptions,
): Promise<{ leases: Lease[]; dropped: DroppedRequest[] }> {
  const [leases, dropped] = await scripts<[string[], string[]]>(redis).frontier_pop(
    queueIndexKey(spiderid),
    leasesKey(spiderid),
    blacklistKey(spiderid),
    spiderid,
    opts.nowMs ?? 0,
    opts.max,
    opts.perDomain ?? opts.max,
    opts.leaseMs,
    opts.candidates ?? 64,
    throttleArg(opts.throttle),
    ...(opts.skipDomains ?? []),
  );
  return {
    leases: leases.map(parseLease),
    dropped: dropped.map((d) => {
      const cut = d.indexOf("\n");
      return { reason: d.slice(0, cut) as DroppedRequest["reason"], member: d.slice(cut + 1) };
    }),
  };
}

/** Acknowledges finished leases (their results are in Kafka): one ZREM. */
export async function ackLeases(redis: Redis, spiderid: string, ids: readonly string[]) {
  if (ids.length > 0) await redis.zrem(leasesKey(spiderid), ...ids);
}

/** Puts leased requests back in their queues (each at most once); resolves with how many. */
export async function returnLeases(
  redis: Redis,
  spiderid: string,
  leases: readonly Lease[],
): Promise<number> {
  if (leases.length === 0) return 0;
  registerScripts(redis);
  const pipeline = redis.pipeline() as unknown as ScriptCommands<unknown> & ChainableCommander;
  for (const lease of leases) {
    pipeline.lease_return(
      leasesKey(spiderid),
      queueKey(spiderid, lease.domain),
      queueIndexKey(spiderid),
      lease.id,
      lease.domain,
      lease.score,
      lease.member,
      spiderid,
    );
  }
  const results = await pipeline.exec();
  return (results ?? []).reduce((n, [err, value]) => n + (err === null ? Number(value) : 0), 0);
}

/** Returns the requests whose lease deadline passed (their crawler died). */
export async function reclaimExpiredLeases(
  redis: Redis,
  spiderid: string,
  opts: { nowMs?: number; limit?: number } = {},
): Promise<number> {
  const expired = await redis.zrangebyscore(
    leasesKey(spiderid),
    "-inf",
    String(opts.nowMs ?? Date.now()),
    "LIMIT",
    "0",
    String(opts.limit ?? 500),
  );
  return await returnLeases(redis, spiderid, expired.map(parseLease));
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
