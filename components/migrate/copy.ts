/**
 * Copying one key's content from one Redis to another, chunk by chunk, and checking that the
 * target holds every copied element before anyone deletes the source: a crash in between leaves
 * duplicates at worst (every write here is idempotent), never a loss. Each function writes one
 * key per command, so it works on Redis Cluster whatever the slots.
 *
 * @module
 */

import type { RedisClient } from "../../lib/services/redis.ts";
import { MigrateError } from "./layouts.ts";

/** Elements per command. */
export const CHUNK = 1000;

/**
 * Copies sorted set `from` (members and scores) into `to` on `target` and checks every member
 * arrived with its score; resolves with the number of members.
 */
export async function copySortedSet(
  source: RedisClient,
  from: string,
  target: RedisClient,
  to: string,
): Promise<number> {
  const size = await source.zcard(from);
  for (let start = 0; start < size; start += CHUNK) {
    const page = await source.zrange(from, String(start), String(start + CHUNK - 1), "WITHSCORES");
    if (page.length === 0) break;
    const members: string[] = [];
    const scoreMember: string[] = [];
    for (let i = 0; i < page.length; i += 2) {
      members.push(page[i]);
      scoreMember.push(page[i + 1], page[i]);
    }
    await target.zadd(to, ...scoreMember);
    const scores = await target.zmscore(to, ...members);
    scores.forEach((score, i) => {
      if (score === null || Number(score) !== Number(scoreMember[2 * i])) {
        throw new MigrateError(`${to} lacks a request of ${from} after the copy: nothing deleted`);
      }
    });
  }
  if ((await target.zcard(to)) < size) {
    throw new MigrateError(`${to} holds fewer requests than ${from}: nothing deleted`);
  }
  return size;
}

/**
 * Adds every member of set `from` to each set of `to` on `target` (a union when several sources
 * feed one target) and checks they arrived. Resolves with the number of members.
 */
export async function copySet(
  source: RedisClient,
  from: string,
  target: RedisClient,
  to: readonly string[],
): Promise<number> {
  let count = 0;
  let cursor = "0";
  do {
    const [next, members] = await source.sscan(from, cursor, "COUNT", CHUNK);
    cursor = next;
    if (members.length === 0) continue;
    count += members.length;
    for (const key of to) {
      await target.sadd(key, ...members);
      const present = await target.smismember(key, ...members);
      if (present.some((p) => p !== 1)) {
        throw new MigrateError(`${key} lacks a member of ${from} after the copy: nothing deleted`);
      }
    }
  } while (cursor !== "0");
  return count;
}

/**
 * The time to live (ms) a union of `keys` keeps: the longest of theirs, or -1 when one of them
 * never expires (or none exists).
 */
export async function longestTtl(redis: RedisClient, keys: readonly string[]): Promise<number> {
  let longest = 0;
  for (const key of keys) {
    const ttl = await redis.pttl(key);
    if (ttl === -1) return -1;
    longest = Math.max(longest, ttl);
  }
  return longest > 0 ? longest : -1;
}

/**
 * Copies a string or hash key under the same name (expiry jobs, cookie jars), with its time to
 * live, and checks it arrived. Resolves false when the source key is gone (moved already).
 */
export async function copyPlainKey(
  source: RedisClient,
  key: string,
  target: RedisClient,
): Promise<boolean> {
  const type = await source.type(key);
  const ttl = await source.pttl(key);
  if (type === "none") return false;
  if (type === "string") {
    const value = await source.get(key);
    if (value === null) return false;
    await (ttl > 0 ? target.set(key, value, "PX", ttl) : target.set(key, value));
    if ((await target.get(key)) !== value) {
      throw new MigrateError(`${key} did not arrive: nothing deleted`);
    }
    return true;
  }
  if (type === "hash") {
    const fields = await source.hgetall(key);
    if (Object.keys(fields).length === 0) return false;
    await target.hset(key, fields);
    if (ttl > 0) await target.pexpire(key, ttl);
    const copied = await target.hmget(key, ...Object.keys(fields));
    if (copied.some((v, i) => v !== Object.values(fields)[i])) {
      throw new MigrateError(`${key} did not arrive: nothing deleted`);
    }
    return true;
  }
  if (type === "set") {
    const members = await source.smembers(key);
    if (members.length === 0) return false;
    await target.sadd(key, ...members);
    if (ttl > 0) await target.pexpire(key, ttl);
    const arrived = await target.smismember(key, ...members);
    if (arrived.some((v) => v !== 1)) {
      throw new MigrateError(`${key} did not arrive: nothing deleted`);
    }
    return true;
  }
  throw new MigrateError(`${key} is a ${type}, not what this project writes there`);
}
