/**
 * The read side of the statistics, for the redis-monitor's Stats API: Scrapy Cluster's
 * StatsMonitor answers (`_get_plugin_stats`, spider, machine and queue stats) in the same
 * shapes, computed from the representation of `stats_collector.ts` (bucket hashes for rolling
 * windows, integers for `lifetime`). Keys are found with SCAN, never KEYS, and all values of an
 * answer are read in one pipeline; queues are found through the per-spider queue index instead
 * of a scan of the whole key space.
 *
 * A key without data is absent from the answers, as in Scrapy Cluster (whose emptied sorted
 * sets disappeared): that includes a rolling window whose buckets all fell out of the window.
 *
 * @example
 * ```ts ignore
 * const stats = await componentStats(redis, "kafka-monitor", Date.now() / 1000);
 * // { total: { "900": 2, lifetime: 51 }, plugins: { ScraperHandler: { ... } }, nodes: { ... } }
 * ```
 *
 * @module
 */

import { openFrontierLayout } from "../frontier/layout.ts";
import { queueIndexKey } from "../frontier/keys.ts";
import { type RedisClient, scanKeys as scanKeyBatches } from "../services/redis.ts";
import { commandBatch, getKeys } from "../services/redis_batch.ts";

/**
 * Events of a rolling window from its bucket hash (field = bucket start, epoch seconds): the sum
 * of the buckets whose start is at or after `nowSec − windowSec`. Granularity is one bucket
 * (`ceil(windowSec / 60)` s): events in the bucket straddling the window's start are left out,
 * so the count covers between `windowSec − bucket` and `windowSec` seconds. Buckets ahead of
 * `nowSec` (a writer's clock ahead of ours) are counted.
 */
export function windowCount(
  hash: Record<string, string>,
  windowSec: number,
  nowSec: number,
): number {
  const from = nowSec - windowSec;
  let sum = 0;
  for (const field in hash) {
    const start = Number(field);
    const n = Number(hash[field]);
    if (start >= from && Number.isFinite(n)) sum += n;
  }
  return sum;
}

/**
 * The values of stats keys, in one pipeline (single commands on Redis Cluster): HGETALL + {@linkcode windowCount} for keys ending
 * in a number of seconds, GET for `…:lifetime` keys. Missing keys, keys without data in their
 * window, keys of another type and keys with another ending are absent from the map.
 */
export async function readStatsKeys(
  redis: RedisClient,
  keys: readonly string[],
  nowSec: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const read: { key: string; windowSec: number | null }[] = [];
  const pipeline = commandBatch(redis);
  for (const key of new Set(keys)) {
    const end = key.slice(key.lastIndexOf(":") + 1);
    if (end === "lifetime") {
      read.push({ key, windowSec: null });
      pipeline.get(key);
    } else if (/^\d+$/.test(end) && Number(end) > 0) {
      read.push({ key, windowSec: Number(end) });
      pipeline.hgetall(key);
    }
  }
  if (read.length === 0) return out;
  const results = (await pipeline.exec()) ?? [];
  read.forEach(({ key, windowSec }, i) => {
    const [err, value] = results[i] ?? [null, null];
    if (err || value === null || value === undefined) return;
    const n = windowSec === null
      ? Number(value)
      : windowCount(value as Record<string, string>, windowSec, nowSec);
    if (Number.isFinite(n) && n !== 0) out.set(key, n);
  });
  return out;
}

/** The value of one stats key (0 when absent); see {@linkcode readStatsKeys}. */
export async function statValue(redis: RedisClient, key: string, nowSec = Date.now() / 1000) {
  return (await readStatsKeys(redis, [key], nowSec)).get(key) ?? 0;
}

/**
 * All keys matching a glob pattern, by SCAN (never KEYS; every master of a cluster), without
 * duplicates.
 */
export async function scanKeys(
  redis: RedisClient,
  pattern: string,
  count = 1000,
): Promise<string[]> {
  const found = new Set<string>();
  for await (const keys of scanKeyBatches(redis, pattern, count)) {
    for (const key of keys) found.add(key);
  }
  return [...found];
}

/** Counts per key ending (`"900"`, `"3600"`, …, `"lifetime"`). */
export type EndCounts = Record<string, number>;

/** Scrapy Cluster's `_get_plugin_stats` answer for kafka-monitor, redis-monitor or rest. */
export interface ComponentStats {
  total?: EndCounts;
  fail?: EndCounts;
  /** Live processes: host → 12-hex process ids (sorted). */
  nodes?: Record<string, string[]>;
  /** Per plugin class name. */
  plugins?: Record<string, EndCounts>;
}

/**
 * Statistics of a kafka-monitor, redis-monitor or rest from `stats:<component>:*`: segment 2 is
 * `main`, segment 3 `end`; `total` and `fail` go to `[main][end]`, heartbeats
 * (`stats:<c>:self:<host>:<id>`) to `nodes[host]`, anything else to `plugins[main][end]`.
 */
export async function componentStats(
  redis: RedisClient,
  component: "kafka-monitor" | "redis-monitor" | "rest" | "webhook",
  nowSec: number,
): Promise<ComponentStats> {
  const keys = await scanKeys(redis, `stats:${component}:*`);
  const out: ComponentStats = {};
  const data: string[] = [];
  for (const key of keys) {
    const parts = key.split(":");
    if (parts[2] === "self" && parts.length === 5) {
      ((out.nodes ??= {})[parts[3]] ??= []).push(parts[4]);
    } else if (parts.length === 4) {
      data.push(key);
    }
  }
  for (const ids of Object.values(out.nodes ?? {})) ids.sort();
  const values = await readStatsKeys(redis, data, nowSec);
  for (const [key, n] of values) {
    const [, , main, end] = key.split(":");
    const group = main === "total" || main === "fail"
      ? (out[main] ??= {})
      : ((out.plugins ??= {})[main] ??= {});
    group[end] = n;
  }
  return out;
}

/** One spider type's counts: `count` live crawlers, then per status code the counts per end. */
export type SpiderEntry = { count: number } & { [code: string]: EndCounts | number };

/** Scrapy Cluster's spider stats. */
export interface SpiderStats {
  spiders: {
    /** Spider types with at least one live crawler. */
    unique_spider_count: number;
    /** Live crawlers. */
    total_spider_count: number;
    [spider: string]: SpiderEntry | number;
  };
}

/**
 * Scrapy Cluster's machine stats: per host, per status code, counts summed over spiders; plus
 * `tags`, the node tags of the host's live crawlers (`CRAWLER_TAGS`), when it has any.
 */
export interface MachineStats {
  machines: {
    count: number;
    [host: string]: Record<string, EndCounts | string[]> | number;
  };
}

/** Scrapy Cluster's queue stats. */
export interface QueueStats {
  queues: {
    total_backlog: number;
    [queue: string]: SpiderQueue | number;
  };
}

/** Backlog of one spider type (`queue_<spiderid>`). */
export interface SpiderQueue {
  spider_backlog: number;
  num_domains: number;
  domains: { domain: string; backlog: number }[];
}

/**
 * Spider stats from `stats:crawler:*`: 6-segment keys `stats:crawler:<host>:<spider>:<code>:<end>`
 * give `spiders[spider][code][end]`, summed over hosts; 5-segment keys (heartbeats
 * `stats:crawler:<host>:<spider>:<id>`) count live crawlers in `spiders[spider].count`, in
 * `total_spider_count`, and their spider types in `unique_spider_count`. Every spider listed has
 * a `count` (0 without a live crawler).
 */
export async function spiderStats(redis: RedisClient, nowSec: number): Promise<SpiderStats> {
  const { heartbeats, values } = await _crawlerKeys(redis, nowSec);
  return _spiders(heartbeats, values);
}

/**
 * Machine stats from the 6-segment `stats:crawler:<host>:<spider>:<code>:<end>` keys:
 * `machines[host][code][end]` summed across the host's spiders, and `machines.count` hosts;
 * `machines[host].tags` from the live crawlers' heartbeats.
 */
export async function machineStats(redis: RedisClient, nowSec: number): Promise<MachineStats> {
  const { heartbeats, values } = await _crawlerKeys(redis, nowSec);
  return _machines(values, await _tagsByHost(redis, heartbeats));
}

/**
 * Crawler stats (Scrapy Cluster's `crawler` type): spiders, machines and — singular, as in
 * Scrapy Cluster's code — `queue`, from one scan of the crawler keys.
 */
export async function crawlerStats(redis: RedisClient, nowSec: number): Promise<{
  spiders: SpiderStats["spiders"];
  machines: MachineStats["machines"];
  queue: QueueStats["queues"];
}> {
  const { heartbeats, values } = await _crawlerKeys(redis, nowSec);
  return {
    spiders: _spiders(heartbeats, values).spiders,
    machines: _machines(values, await _tagsByHost(redis, heartbeats)).machines,
    queue: (await queueStats(redis)).queues,
  };
}

/**
 * Backlog per spider type and domain: the spider ids come from `spiderIds` or from a SCAN of the
 * few `*:queue_index` keys (one per spider and frontier shard), their domains from each shard's
 * index (in index order: the domain ready soonest first), and the backlogs from ZCARDs sent
 * together. Empty queues are left out.
 */
export async function queueStats(
  redis: RedisClient,
  spiderIds?: readonly string[],
): Promise<QueueStats> {
  const layout = await openFrontierLayout(redis);
  const ids = spiderIds ?? [
    ...new Set(
      (await scanKeys(redis, `*${queueIndexKey("*")}`))
        .map((key) => layout.untag(key)?.name.slice(0, -":queue_index".length) ?? "")
        .filter((id) => id !== "" && !id.includes(":")),
    ),
  ].sort();
  const queues: QueueStats["queues"] = { total_backlog: 0 };
  for (const id of ids) {
    for (const shard of layout.shards) {
      const domains = await redis.zrange(shard.index(id), "0", "-1");
      const sizes = await Promise.all(domains.map((d) => redis.zcard(shard.queue(id, d))));
      domains.forEach((domain, i) => {
        const backlog = sizes[i];
        if (!(backlog > 0)) return;
        const name = `queue_${id}`;
        const queue =
          (queues[name] ??= { spider_backlog: 0, num_domains: 0, domains: [] }) as SpiderQueue;
        queue.spider_backlog += backlog;
        queue.num_domains++;
        queue.domains.push({ domain, backlog });
        queues.total_backlog += backlog;
      });
    }
  }
  return { queues };
}

/** The crawler heartbeat keys and the values of the crawler status-code keys. */
async function _crawlerKeys(redis: RedisClient, nowSec: number) {
  const heartbeats: string[][] = [];
  const data: string[] = [];
  for (const key of await scanKeys(redis, "stats:crawler:*")) {
    const parts = key.split(":");
    if (parts.length === 5) heartbeats.push(parts);
    else if (parts.length === 6) data.push(key);
  }
  const values = [...(await readStatsKeys(redis, data, nowSec))].map(([key, n]) => {
    const [, , host, spider, code, end] = key.split(":");
    return { host, spider, code, end, n };
  });
  return { heartbeats, values };
}

type _CrawlerValue = { host: string; spider: string; code: string; end: string; n: number };

function _spiders(heartbeats: string[][], values: _CrawlerValue[]): SpiderStats {
  const spiders: SpiderStats["spiders"] = { unique_spider_count: 0, total_spider_count: 0 };
  const entry = (spider: string) => (spiders[spider] ??= { count: 0 }) as SpiderEntry;
  const live = new Set<string>();
  for (const [, , , spider] of heartbeats) {
    entry(spider).count++;
    live.add(spider);
  }
  for (const { spider, code, end, n } of values) {
    const codes = (entry(spider)[code] ??= {}) as EndCounts;
    codes[end] = (codes[end] ?? 0) + n;
  }
  spiders.unique_spider_count = live.size;
  spiders.total_spider_count = heartbeats.length;
  return { spiders };
}

function _machines(values: _CrawlerValue[], tags: Map<string, string[]>): MachineStats {
  const machines: MachineStats["machines"] = { count: 0 };
  for (const { host, code, end, n } of values) {
    if (!(host in machines)) machines.count++;
    const codes = (machines[host] ??= {}) as Record<string, EndCounts>;
    const ends = codes[code] ??= {};
    ends[end] = (ends[end] ?? 0) + n;
  }
  for (const [host, list] of tags) {
    if (!(host in machines)) machines.count++;
    ((machines[host] ??= {}) as Record<string, string[]>).tags = list;
  }
  return { machines };
}

/**
 * The node tags of each host's live crawlers, from their heartbeat values (`{"time", "tags"}`
 * JSON for a crawler with tags; a bare timestamp otherwise).
 */
async function _tagsByHost(
  redis: RedisClient,
  heartbeats: string[][],
): Promise<Map<string, string[]>> {
  const values = await getKeys(redis, heartbeats.map((parts) => parts.join(":")));
  const byHost = new Map<string, Set<string>>();
  heartbeats.forEach(([, , host], i) => {
    const value = values[i];
    if (!value?.startsWith("{")) return;
    try {
      const tags = JSON.parse(value).tags;
      if (!Array.isArray(tags) || tags.length === 0) return;
      const set = byHost.get(host) ?? new Set<string>();
      for (const tag of tags) set.add(String(tag));
      byHost.set(host, set);
    } catch { /* not ours */ }
  });
  return new Map([...byHost].map(([host, set]) => [host, [...set].sort()]));
}
