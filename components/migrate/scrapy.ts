/**
 * `migrate scrapy`: turns a Scrapy Cluster 1.3 Redis into this project's frontier, in place.
 * Each `<spiderid>:<domain>:queue` is adopted (`adoptQueue`, `lua/queue_adopt.lua`): its
 * `-priority` scores become ours in their current order (Scrapy Cluster's own pop order, so FIFO
 * within a priority is kept), the domain joins `<spiderid>:queue_index` and the queue's backlog
 * counters are built; follow-ups Scrapy Cluster's crawlers queued in Scrapy's serialised form
 * are rewritten as crawl requests (`scrapy_requests.ts`). Dupefilters, blacklists, `timeout:`
 * and throttle keys already have the names this project uses: they are counted, never touched.
 *
 * Adoption is per queue and idempotent (a rescored request is no longer foreign; counters that
 * match are left alone), so a second run changes nothing and a run killed midway is finished by
 * the next one. It is also safe beside running components: the redis-monitor's queue sweep does
 * the same work every `QUEUE_SCAN_INTERVAL`.
 *
 * @module
 */

import { adoptQueue, FRONTIER_SHARDS_KEY } from "../../lib/frontier/mod.ts";
import { isRedisCluster, type RedisClient } from "../../lib/services/redis.ts";
import { takeInventory } from "./inventory.ts";
import { currentLayout, MigrateError, targetLayout } from "./layouts.ts";
import type { Progress } from "./progress.ts";
import { flattenQueue } from "./scrapy_requests.ts";

/** Options of {@linkcode migrateScrapy}. */
export interface ScrapyOptions {
  /** Count what would change, change nothing. */
  dryRun?: boolean;
  /** Only these spider types (default: every one found). */
  spiders?: readonly string[];
  /** Stops between two queues (a rerun finishes). */
  signal?: AbortSignal;
  progress?: Progress;
}

/** What `migrate scrapy` did (or, in a dry run, would do). */
export interface ScrapySummary {
  queues: number;
  /** Requests in those queues. */
  requests: number;
  /** Requests rescored from Scrapy Cluster's `-priority` (dry run: would be). */
  rescored: number;
  /** Follow-ups in Scrapy's serialised form rewritten as crawl requests (`scrapy_requests.ts`). */
  flattened: number;
  /** Queues whose domain index entry or counters were built or rebuilt. */
  repaired: number;
  /** Queues adopted before an abort stopped the run (= queues when it finished). */
  done: number;
  /** Kept as they are (same names in both projects). */
  kept: { dupefilters: number; blacklists: number; timeouts: number };
  /** Whether the run changed anything (false: already migrated, or a dry run). */
  changed: boolean;
  /** Whether the run stopped early (signal). */
  aborted: boolean;
}

/** Counters are checked for every queue, whatever its size (adoptQueue's default stops at 10 000). */
const RECOUNT_ALL = Number.MAX_SAFE_INTEGER;

/** Converts Scrapy Cluster's queues in place; see the module doc. */
export async function migrateScrapy(
  redis: RedisClient,
  opts: ScrapyOptions = {},
): Promise<ScrapySummary> {
  if (isRedisCluster(redis)) {
    throw new MigrateError(
      "Scrapy Cluster never ran on Redis Cluster: run 'migrate scrapy' on its plain Redis, " +
        "then 'migrate to-cluster'",
    );
  }
  const dryRun = opts.dryRun === true;
  const current = await currentLayout(redis);
  if (current.count !== 1) {
    throw new MigrateError(
      `this Redis holds a frontier of ${current.count} shards (${FRONTIER_SHARDS_KEY}); ` +
        "'migrate scrapy' converts Scrapy Cluster's one-shard layout",
    );
  }
  const inventory = await takeInventory(redis, current, opts.spiders);
  const hadRecord = (await redis.exists(FRONTIER_SHARDS_KEY)) === 1;
  const layout = await targetLayout(redis, 1, dryRun, "this Redis");
  const shard = layout.shards[0];
  const summary: ScrapySummary = {
    queues: inventory.queues.length,
    requests: 0,
    rescored: 0,
    flattened: 0,
    repaired: 0,
    done: 0,
    kept: {
      dupefilters: [...inventory.dupefilters.values()].flat().length,
      blacklists: [...inventory.blacklists.values()].flat().length,
      timeouts: inventory.plainKeys.filter((k) => k.startsWith("timeout:")).length,
    },
    changed: !dryRun && !hadRecord,
    aborted: false,
  };
  opts.progress?.start(dryRun ? "scrapy (dry run)" : "scrapy", inventory.queues.length);
  for (const queue of inventory.queues) {
    if (opts.signal?.aborted) {
      summary.aborted = true;
      break;
    }
    const before = dryRun ? 0 : await redis.zscore(shard.index(queue.spiderid), queue.domain);
    const adopt = () =>
      adoptQueue(redis, shard, queue.spiderid, queue.domain, { dryRun, recountMax: RECOUNT_ALL });
    let result = await adopt();
    // After adoption (unique scores), so a rewritten member keeps its place; its counter
    // field changes, so the counters are rebuilt.
    const flattened = await flattenQueue(redis, queue.key, dryRun);
    if (flattened > 0 && !dryRun) {
      await redis.del(shard.backlog(queue.spiderid, queue.domain));
      result = { ...await adopt(), rescored: result.rescored };
    }
    // A queue that joins the index is a change too (counters and index come together).
    const indexed = !dryRun && before === null && result.size > 0;
    summary.requests += result.size;
    summary.rescored += result.rescored;
    summary.flattened += flattened;
    if (result.repaired || indexed) summary.repaired++;
    if (!dryRun && (result.rescored > 0 || result.repaired || indexed || flattened > 0)) {
      summary.changed = true;
    }
    summary.done++;
    opts.progress?.queueDone(result.size);
  }
  opts.progress?.finish();
  return summary;
}

/** The summary in a few lines, for the operator. */
export function describeScrapy(s: ScrapySummary, dryRun: boolean): string[] {
  const flattened = `${s.flattened} follow-up(s) in Scrapy's serialised form ` +
    `${dryRun ? "would be " : ""}rewritten as crawl requests`;
  const kept = `kept as they are: ${s.kept.dupefilters} dupefilter(s), ` +
    `${s.kept.blacklists} blacklist(s), ${s.kept.timeouts} timeout key(s)`;
  if (s.aborted) {
    return [
      `Interrupted after ${s.done} of ${s.queues} queue(s) (${s.rescored} request(s) rescored); ` +
      "run it again to finish",
    ];
  }
  if (dryRun) {
    return [
      `Dry run: ${s.queues} queue(s) with ${s.requests} request(s); ${s.rescored} request(s) ` +
      "would be rescored from Scrapy Cluster's -priority; nothing was changed",
      flattened,
      kept,
    ];
  }
  if (!s.changed) {
    return [
      `Nothing to change: all ${s.queues} queue(s) (${s.requests} request(s)) are already ` +
      "in Crawl Cluster's layout",
      kept,
    ];
  }
  return [
    `Migrated ${s.queues} queue(s) with ${s.requests} request(s): ${s.rescored} rescored, ` +
    `index and counters built for ${s.repaired} queue(s)`,
    flattened,
    kept,
  ];
}
