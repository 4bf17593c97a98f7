/**
 * Jobs for the redis-monitors: Scrapy Cluster's job keys (`info:…`, `stop:…`, `timeout:…`,
 * `statsrequest:…`, `zk:…`, or a custom plugin's) plus our index `jobs:index` (job key → when
 * it is due, epoch seconds), so monitors find work without scanning the key space. Keys that
 * other tools write without the index are picked up by {@linkcode indexUnlistedJobs}, which
 * the monitors run now and then.
 *
 * Each job is handled under a lock (`lock:<jobkey>`, a random token, expiring and renewed)
 * so several monitors can run at once and every job is answered once: a monitor whose lock
 * renewal fails, or finds the lock taken by another token, abandons the job (publishes
 * nothing, deletes nothing) and leaves it to the lock's holder.
 *
 * Requests answered by uuid (info, stop, stats) also add their uuid to `waiting:<jobkey>`, so
 * a second request for the same job, which overwrites the job key's uuid as in Scrapy Cluster,
 * does not leave the first caller unanswered: the monitor answers every waiting uuid, then
 * deletes the job only if it still holds the value handled and nobody else waits
 * (`lua/job_finish.lua`, compare-and-delete); a request that arrived meanwhile keeps the job.
 *
 * @module
 */

import type { ChainableCommander } from "ioredis";
import { JOBS_INDEX_KEY, jobWaitersKey, lockKey } from "./job_keys.ts";
import { luaScripts } from "../services/lua.ts";
import { isRedisCluster, type RedisClient, scanKeys } from "../services/redis.ts";
import { batchOnCluster, getKeys } from "../services/redis_batch.ts";

const registerLockScripts = luaScripts(new URL("./lua/", import.meta.url), {
  lock_release: 1,
  lock_extend: 1,
  job_finish: null,
});

/** The lock scripts (`lua/lock_*.lua`) of a client, registered on first use. */
interface LockScripts {
  /** KEYS lock; ARGV token. */
  lock_release(lock: string, token: string): Promise<unknown>;
  /** KEYS lock; ARGV token, ttl ms. */
  lock_extend(lock: string, token: string, ttlMs: number): Promise<unknown>;
  /** KEYS job, waiting[, index] (their count first); ARGV handled value, answered uuids. */
  job_finish(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number>;
}

function lockScripts(redis: RedisClient): LockScripts {
  registerLockScripts(redis);
  return redis as unknown as LockScripts;
}

/** How long a job's waiting uuids are kept without a new request (1 day). */
export const JOB_WAITERS_TTL_SEC = 86_400;

/** Options of {@linkcode addJob}. */
export interface AddJobOptions {
  /**
   * The uuid that waits for this job's answer (info, stop and stats requests): kept in
   * `waiting:<jobkey>` so it is answered even when a later request overwrites the job.
   *
   * @default {undefined}
   */
  waiter?: string;
}

/** Writes a job key and indexes it (due at `dueSec`, 0 = now). */
export function addJob(
  pipeline: ChainableCommander,
  key: string,
  value: string,
  dueSec = 0,
  opts: AddJobOptions = {},
): void {
  // The waiter first: a monitor finishing the job in between sees it and keeps the job.
  if (opts.waiter !== undefined) {
    const waiting = jobWaitersKey(key, batchOnCluster(pipeline));
    pipeline.sadd(waiting, opts.waiter);
    pipeline.expire(waiting, JOB_WAITERS_TTL_SEC);
  }
  pipeline.set(key, value);
  pipeline.zadd(JOBS_INDEX_KEY, dueSec, key);
}

/** The uuids waiting for a job's answer (see {@linkcode addJob}'s `waiter`). */
export function jobWaiters(redis: RedisClient, key: string): Promise<string[]> {
  return redis.smembers(jobWaitersKey(key, isRedisCluster(redis)));
}

/** Job keys due by `nowSec`, oldest first. */
export function dueJobs(redis: RedisClient, nowSec: number, limit = 100): Promise<string[]> {
  return redis.zrangebyscore(JOBS_INDEX_KEY, "-inf", String(nowSec), "LIMIT", "0", String(limit));
}

/** Moves a job's due time (a precondition not met yet, or a retry later). */
export async function postponeJob(redis: RedisClient, key: string, dueSec: number): Promise<void> {
  await redis.zadd(JOBS_INDEX_KEY, "XX", dueSec, key);
}

/** Deletes a job, its waiting uuids and its index entry, whatever it holds. */
export async function finishJob(redis: RedisClient, key: string): Promise<void> {
  if (!isRedisCluster(redis)) {
    await redis.multi().del(key, jobWaitersKey(key)).zrem(JOBS_INDEX_KEY, key).exec();
    return;
  }
  // The index lives on another node: the job (with its waiters, same slot) goes first.
  await redis.del(key, jobWaitersKey(key, true));
  await _unindex(redis, key);
}

/**
 * Removes a deleted job's index entry on Redis Cluster, where it cannot go in the same script:
 * a request that wrote the job again meanwhile gets its entry back (due now).
 */
async function _unindex(redis: RedisClient, key: string): Promise<void> {
  await redis.zrem(JOBS_INDEX_KEY, key);
  if ((await redis.exists(key)) === 1) await redis.zadd(JOBS_INDEX_KEY, "NX", 0, key);
}

/**
 * Finishes a handled job by compare-and-delete: `answered` leave its waiting set, and the job
 * is deleted only if it still holds `value` and nobody else waits. Resolves with false when it
 * was kept because a newer request arrived (it stays due and is handled again).
 */
export async function finishHandledJob(
  redis: RedisClient,
  key: string,
  value: string,
  answered: readonly string[] = [],
): Promise<boolean> {
  if (!isRedisCluster(redis)) {
    const keys = [key, jobWaitersKey(key), JOBS_INDEX_KEY];
    return await lockScripts(redis).job_finish(3, ...keys, value, ...answered) === 1;
  }
  // On a cluster the script compares and deletes in the job's slot; the index entry follows.
  const keys = [key, jobWaitersKey(key, true)];
  const deleted = await lockScripts(redis).job_finish(2, ...keys, value, ...answered) === 1;
  if (deleted) await _unindex(redis, key);
  return deleted;
}

/** Removes an index entry whose key no longer exists. */
export async function forgetJob(redis: RedisClient, key: string): Promise<void> {
  await redis.zrem(JOBS_INDEX_KEY, key);
}

/**
 * Indexes job keys that exist but are not indexed (written by other tools), by SCAN over the
 * given glob patterns; `dueOf` gives a key's due time from its value (default: now).
 */
export async function indexUnlistedJobs(
  redis: RedisClient,
  patterns: readonly string[],
  dueOf: (key: string, value: string | null) => number = () => 0,
): Promise<number> {
  let added = 0;
  for (const pattern of patterns) {
    for await (const keys of scanKeys(redis, pattern)) {
      const jobs = keys.filter((k) =>
        k !== JOBS_INDEX_KEY && !k.startsWith("lock:") && !k.startsWith("waiting:")
      );
      if (jobs.length === 0) continue;
      const values = await getKeys(redis, jobs);
      // Every ZADD goes to the one index key: a pipeline on a cluster too.
      const pipeline = redis.pipeline();
      jobs.forEach((key, i) => pipeline.zadd(JOBS_INDEX_KEY, "NX", dueOf(key, values[i]), key));
      for (const [err, n] of (await pipeline.exec()) ?? []) if (!err) added += Number(n);
    }
  }
  return added;
}

/** A held job lock. */
export interface JobLock {
  readonly key: string;
  /**
   * True once a renewal failed or found the lock gone or taken by another token: the job may
   * be handled by another monitor now, so this one must not publish nor delete it.
   */
  readonly lost: boolean;
  /** Renews the lock now; resolves with false (and marks it lost) when it is no longer ours. */
  confirm(): Promise<boolean>;
  /** Releases the lock if still ours. */
  release(): Promise<void>;
}

/**
 * Takes `lock:<jobkey>` without waiting (null when another monitor holds it). While held it is
 * renewed every two thirds of `ttlMs`, so a long job (a big purge) keeps it; a renewal that
 * fails (Redis error) or finds the lock not ours marks it {@linkcode JobLock.lost} for good.
 */
export async function tryLock(
  redis: RedisClient,
  jobKey: string,
  ttlMs: number,
): Promise<JobLock | null> {
  const key = lockKey(jobKey);
  const token = crypto.randomUUID();
  if ((await redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") return null;
  let lost = false;
  const extend = async (): Promise<boolean> => {
    if (lost) return false;
    try {
      if (Number(await lockScripts(redis).lock_extend(key, token, ttlMs)) !== 1) lost = true;
    } catch {
      lost = true; // cannot tell whether it expired meanwhile: assume the worst
    }
    return !lost;
  };
  const renew = setInterval(() => {
    extend();
  }, Math.max(100, Math.floor((ttlMs * 2) / 3)));
  return {
    key,
    get lost() {
      return lost;
    },
    confirm: extend,
    async release() {
      clearInterval(renew);
      await lockScripts(redis).lock_release(key, token);
    },
  };
}
