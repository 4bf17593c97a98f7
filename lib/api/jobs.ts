/**
 * Jobs for the redis-monitors: Scrapy Cluster's job keys (`info:…`, `stop:…`, `timeout:…`,
 * `statsrequest:…`, `zk:…`, or a custom plugin's) plus our index `jobs:index` (job key → when
 * it is due, epoch seconds), so monitors find work without scanning the key space. Keys that
 * other tools write without the index are picked up by {@linkcode indexUnlistedJobs}, which
 * the monitors run now and then.
 *
 * Each job is handled under a lock (`lock:<jobkey>`, a random token, expiring) so several
 * monitors can run at once and every job is answered once.
 *
 * @module
 */

import type { ChainableCommander, Redis } from "ioredis";
import { JOBS_INDEX_KEY, lockKey } from "./job_keys.ts";
import { luaScripts } from "../services/lua.ts";

const registerLockScripts = luaScripts(new URL("./lua/", import.meta.url), {
  lock_release: 1,
  lock_extend: 1,
});

/** The lock scripts (`lua/lock_*.lua`) of a client, registered on first use. */
interface LockScripts {
  /** KEYS lock; ARGV token. */
  lock_release(lock: string, token: string): Promise<unknown>;
  /** KEYS lock; ARGV token, ttl ms. */
  lock_extend(lock: string, token: string, ttlMs: number): Promise<unknown>;
}

function lockScripts(redis: Redis): LockScripts {
  registerLockScripts(redis);
  return redis as unknown as LockScripts;
}

/** Writes a job key and indexes it (due at `dueSec`, 0 = now). */
export function addJob(
  pipeline: ChainableCommander,
  key: string,
  value: string,
  dueSec = 0,
): void {
  pipeline.set(key, value);
  pipeline.zadd(JOBS_INDEX_KEY, dueSec, key);
}

/** Job keys due by `nowSec`, oldest first. */
export function dueJobs(redis: Redis, nowSec: number, limit = 100): Promise<string[]> {
  return redis.zrangebyscore(JOBS_INDEX_KEY, "-inf", String(nowSec), "LIMIT", "0", String(limit));
}

/** Moves a job's due time (a precondition not met yet, or a retry later). */
export async function postponeJob(redis: Redis, key: string, dueSec: number): Promise<void> {
  await redis.zadd(JOBS_INDEX_KEY, "XX", dueSec, key);
}

/** Deletes a handled (or abandoned) job and its index entry. */
export async function finishJob(redis: Redis, key: string): Promise<void> {
  await redis.multi().del(key).zrem(JOBS_INDEX_KEY, key).exec();
}

/** Removes an index entry whose key no longer exists. */
export async function forgetJob(redis: Redis, key: string): Promise<void> {
  await redis.zrem(JOBS_INDEX_KEY, key);
}

/**
 * Indexes job keys that exist but are not indexed (written by other tools), by SCAN over the
 * given glob patterns; `dueOf` gives a key's due time from its value (default: now).
 */
export async function indexUnlistedJobs(
  redis: Redis,
  patterns: readonly string[],
  dueOf: (key: string, value: string | null) => number = () => 0,
): Promise<number> {
  let added = 0;
  for (const pattern of patterns) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      const jobs = keys.filter((k) => k !== JOBS_INDEX_KEY && !k.startsWith("lock:"));
      if (jobs.length === 0) continue;
      const values = await redis.mget(...jobs);
      const pipeline = redis.pipeline();
      jobs.forEach((key, i) => pipeline.zadd(JOBS_INDEX_KEY, "NX", dueOf(key, values[i]), key));
      for (const [err, n] of (await pipeline.exec()) ?? []) if (!err) added += Number(n);
    } while (cursor !== "0");
  }
  return added;
}

/** A held job lock. */
export interface JobLock {
  readonly key: string;
  /** Releases the lock if still ours. */
  release(): Promise<void>;
}

/**
 * Takes `lock:<jobkey>` without waiting (null when another monitor holds it). While held it is
 * renewed every two thirds of `ttlMs`, so a long job (a big purge) keeps it.
 */
export async function tryLock(
  redis: Redis,
  jobKey: string,
  ttlMs: number,
): Promise<JobLock | null> {
  const key = lockKey(jobKey);
  const token = crypto.randomUUID();
  if ((await redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") return null;
  const renew = setInterval(() => {
    lockScripts(redis).lock_extend(key, token, ttlMs).catch(() => {});
  }, Math.max(100, Math.floor((ttlMs * 2) / 3)));
  return {
    key,
    async release() {
      clearInterval(renew);
      await lockScripts(redis).lock_release(key, token);
    },
  };
}
