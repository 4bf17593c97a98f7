/**
 * `migrate to-cluster` / `migrate to-plain`: moves the frontier of a stopped cluster from one
 * Redis to another whose layout differs (a plain Redis: one shard, Scrapy Cluster's key names;
 * Redis Cluster: N shards with hash tags, `lib/frontier/layout.ts`).
 *
 * In order, each step idempotent, so a run killed anywhere is finished by the next one:
 *
 * 1. refuse while crawlers of the moved spider types beat on the source (unless forced): they
 *    would lease requests while they move;
 * 2. leased requests go back into their source queues (`returnLeases`);
 * 3. the target's FIFO sequence is raised to the source's, so requests enqueued after the move
 *    still queue behind the moved ones of their priority;
 * 4. each queue: members and scores copied to the target shard of its domain, checked
 *    (`ZMSCORE`, `ZCARD`), counters and domain index rebuilt there (`adoptQueue`), then the
 *    source queue, its counters and its index entry deleted;
 * 5. dupefilters and blacklists: to a sharded target, copied into every shard (a fingerprint's
 *    domain is unknown; every shard holds the blacklist); to one shard, the union; then deleted;
 * 6. `timeout:` expiry jobs (re-indexed in the target's `jobs:index`) and cookie jars: same
 *    names on both sides, copied then deleted;
 * 7. the source's per-spider shard keys (index, sequence, leases, holders) deleted.
 *
 * The target's shard count is recorded first (`crawl_cluster:frontier_shards`).
 *
 * @module
 */

import {
  adoptQueue,
  FRONTIER_SHARDS_KEY,
  type FrontierLayout,
  parseLease,
  returnLeases,
} from "../../lib/frontier/mod.ts";
import { JOBS_INDEX_KEY } from "../../lib/api/job_keys.ts";
import type { RedisClient } from "../../lib/services/redis.ts";
import { copyPlainKey, copySet, copySortedSet, longestTtl } from "./copy.ts";
import { crawlerHeartbeats, type Inventory, takeInventory } from "./inventory.ts";
import { currentLayout, MigrateError, targetLayout } from "./layouts.ts";
import type { Progress } from "./progress.ts";

/** Options of {@linkcode relayout}. */
export interface RelayoutOptions {
  /** Count what would move, change nothing. */
  dryRun?: boolean;
  /** Move even while crawler heartbeats exist on the source. */
  force?: boolean;
  /** Only these spider types (default: every one found). */
  spiders?: readonly string[];
  /** Stops between two queues (a rerun finishes). */
  signal?: AbortSignal;
  progress?: Progress;
}

/** What a move did (or, in a dry run, would do). */
export interface RelayoutSummary {
  from: number;
  to: number;
  queues: number;
  requests: number;
  /** Queues moved before an abort (= queues when the run finished). */
  done: number;
  /** Leased requests put back into their queues first. */
  leases: number;
  dupefilters: number;
  fingerprints: number;
  blacklists: number;
  /** `timeout:` keys and cookie jars. */
  plainKeys: number;
  /** Queue keys of neither layout on the source (left alone). */
  misplaced: number;
  aborted: boolean;
  /** Whether anything was written (false: nothing left to move, or a dry run). */
  changed: boolean;
}

/** Every queue's counters are rebuilt, whatever its size. */
const RECOUNT_ALL = Number.MAX_SAFE_INTEGER;

/** Moves the frontier from `source` to `target` (of `targetShards` shards); see the module doc. */
export async function relayout(
  source: RedisClient,
  target: RedisClient,
  targetShards: number,
  opts: RelayoutOptions = {},
): Promise<RelayoutSummary> {
  const dryRun = opts.dryRun === true;
  const from = await currentLayout(source);
  const recordedBefore = await target.exists(FRONTIER_SHARDS_KEY);
  const to = await targetLayout(target, targetShards, dryRun, "the target Redis");
  let inv = await takeInventory(source, from, opts.spiders);
  if (!opts.force) {
    const beats = await crawlerHeartbeats(source, inv.spiders);
    if (beats.length > 0) {
      throw new MigrateError(
        `${beats.length} crawler(s) still running on the source (heartbeat ${beats[0]}): ` +
          "stop them first (migrate moves a stopped cluster), or pass --force",
      );
    }
  }
  const summary: RelayoutSummary = {
    from: from.count,
    to: to.count,
    queues: 0,
    requests: 0,
    done: 0,
    leases: await putLeasesBack(source, from, inv, dryRun),
    dupefilters: 0,
    fingerprints: 0,
    blacklists: 0,
    plainKeys: 0,
    misplaced: 0,
    aborted: false,
    changed: !dryRun && recordedBefore === 0,
  };
  // Queues whose every request was leased exist only now.
  if (summary.leases > 0 && !dryRun) inv = await takeInventory(source, from, opts.spiders);
  summary.queues = inv.queues.length;
  summary.misplaced = inv.misplaced;
  if (!dryRun) await raiseSequences(source, target, to, inv);

  opts.progress?.start(dryRun ? "move (dry run)" : "move", inv.queues.length);
  for (const q of inv.queues) {
    if (opts.signal?.aborted) {
      summary.aborted = true;
      opts.progress?.finish();
      return summary;
    }
    const shard = to.of(q.domain);
    let moved: number;
    if (dryRun) {
      moved = await source.zcard(q.key);
    } else {
      moved = await copySortedSet(source, q.key, target, shard.queue(q.spiderid, q.domain));
      await adoptQueue(target, shard, q.spiderid, q.domain, { recountMax: RECOUNT_ALL });
      // Deleted only now that the target holds every request: a crash before leaves copies.
      await source.del(q.key);
      await source.del(q.shard.backlog(q.spiderid, q.domain));
      await source.zrem(q.shard.index(q.spiderid), q.domain);
    }
    summary.requests += moved;
    summary.done++;
    opts.progress?.queueDone(moved);
  }
  opts.progress?.finish();

  for (const [id, keys] of inv.dupefilters) {
    const [spiderid, crawlid] = id.split("\t");
    const targets = to.count === 1
      ? [to.shards[0].dupefilter(spiderid, crawlid)]
      : to.shards.map((s) => s.dupefilter(spiderid, crawlid));
    summary.dupefilters++;
    summary.fingerprints += await moveSets(source, keys, target, targets, dryRun);
  }
  for (const [spiderid, keys] of inv.blacklists) {
    const targets = to.count === 1
      ? [to.shards[0].blacklist(spiderid)]
      : to.shards.map((s) => s.blacklist(spiderid));
    summary.blacklists++;
    await moveSets(source, keys, target, targets, dryRun);
  }
  for (const key of inv.plainKeys) {
    if (!dryRun) await movePlainKey(source, key, target);
    summary.plainKeys++;
  }
  if (!dryRun) {
    // Derived keys: the target rebuilt its own; the source's leases were put back.
    for (const ref of inv.shardKeys) {
      if (ref.kind === "leases" && (await source.zcard(ref.key)) > 0) continue;
      await source.del(ref.key);
    }
    for (const key of inv.backlogs) await source.del(key);
  }
  summary.changed ||= !dryRun &&
    (summary.leases + summary.queues + summary.dupefilters + summary.blacklists +
        summary.plainKeys + inv.shardKeys.length + inv.backlogs.length) > 0;
  return summary;
}

/** Puts every leased request of the source back in its queue; resolves with how many. */
async function putLeasesBack(
  source: RedisClient,
  layout: FrontierLayout,
  inv: Inventory,
  dryRun: boolean,
): Promise<number> {
  let count = 0;
  for (const ref of inv.shardKeys.filter((k) => k.kind === "leases")) {
    const ids = await source.zrange(ref.key, "0", "-1");
    if (dryRun) count += ids.length;
    else count += await returnLeases(source, layout, ref.spiderid, ids.map(parseLease));
  }
  return count;
}

/** Raises each target shard's FIFO sequence to the highest of the source's, per spider. */
async function raiseSequences(
  source: RedisClient,
  target: RedisClient,
  to: FrontierLayout,
  inv: Inventory,
): Promise<void> {
  const highest = new Map<string, number>();
  for (const ref of inv.shardKeys.filter((k) => k.kind === "queue_seq")) {
    const value = Number(await source.get(ref.key)) || 0;
    highest.set(ref.spiderid, Math.max(highest.get(ref.spiderid) ?? 0, value));
  }
  for (const [spiderid, value] of highest) {
    for (const shard of to.shards) {
      const key = shard.seq(spiderid);
      if ((Number(await target.get(key)) || 0) < value) await target.set(key, String(value));
    }
  }
}

/**
 * Copies sets into every target set, gives the targets their time to live, deletes them.
 * Resolves with the members the target sets hold (every one holds the union), or in a dry run
 * with the sources' members added up (the union's size at most).
 */
async function moveSets(
  source: RedisClient,
  keys: readonly string[],
  target: RedisClient,
  targets: readonly string[],
  dryRun: boolean,
): Promise<number> {
  if (dryRun) {
    const sizes = await Promise.all(keys.map((k) => source.scard(k)));
    return sizes.reduce((a, b) => a + b, 0);
  }
  const ttl = await longestTtl(source, keys);
  for (const key of keys) await copySet(source, key, target, targets);
  if (ttl > 0) {
    for (const key of targets) await target.pexpire(key, ttl);
  }
  for (const key of keys) await source.del(key);
  return await target.scard(targets[0]);
}

/** Moves a key of the same name on both sides; an expiry job is indexed on the target. */
async function movePlainKey(source: RedisClient, key: string, target: RedisClient) {
  if (!(await copyPlainKey(source, key, target))) return;
  if (key.startsWith("timeout:")) {
    // Due when the crawl expires, as the redis-monitor indexes such keys itself.
    const due = Number(await target.get(key));
    await target.zadd(JOBS_INDEX_KEY, "NX", Number.isFinite(due) ? due : 0, key);
    await source.zrem(JOBS_INDEX_KEY, key);
  }
  await source.del(key);
}

/** The summary in a few lines, for the operator. */
export function describeRelayout(s: RelayoutSummary, dryRun: boolean): string[] {
  const fingerprints = `${dryRun ? "up to " : ""}${s.fingerprints} fingerprint(s)`;
  const what = `${s.queues} queue(s) with ${s.requests} request(s), ${s.leases} leased ` +
    `request(s) put back, ${s.dupefilters} dupefilter(s) (${fingerprints}), ` +
    `${s.blacklists} blacklist(s), ${s.plainKeys} timeout/cookie key(s)`;
  const lines: string[] = [];
  if (s.aborted) {
    lines.push(
      `Interrupted after ${s.done} of ${s.queues} queue(s) (${s.requests} request(s) moved); ` +
        "run it again to finish",
    );
  } else if (dryRun) {
    lines.push(`Dry run, ${s.from} → ${s.to} shard(s): would move ${what}; nothing was changed`);
  } else if (!s.changed) {
    lines.push(`Nothing to move: the source holds no frontier keys (target: ${s.to} shard(s))`);
  } else {
    lines.push(`Moved ${s.from} → ${s.to} shard(s): ${what}`);
  }
  if (s.misplaced > 0) {
    lines.push(`${s.misplaced} queue key(s) of another layout on the source were left alone`);
  }
  return lines;
}
