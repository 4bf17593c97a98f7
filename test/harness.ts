/**
 * Helpers for integration tests: the real services that `deno task test` started, random names
 * so tests never share keys, topics or groups, and cleanup.
 *
 * @module
 */

import { Redis } from "ioredis";
import { type RedisSettings } from "../lib/services/mod.ts";

/** The service addresses; integration tests must run under `deno task test`. */
export function serviceEnv(): { REDIS_URL: string; KAFKA_HOSTS: string; ZOOKEEPER_HOSTS: string } {
  const env = {
    REDIS_URL: Deno.env.get("REDIS_URL") ?? "",
    KAFKA_HOSTS: Deno.env.get("KAFKA_HOSTS") ?? "",
    ZOOKEEPER_HOSTS: Deno.env.get("ZOOKEEPER_HOSTS") ?? "",
  };
  if (!env.REDIS_URL || !env.KAFKA_HOSTS || !env.ZOOKEEPER_HOSTS) {
    throw new Error(
      "Integration tests need Redis, Kafka and ZooKeeper: run them with 'deno task test' " +
        "(or set REDIS_URL, KAFKA_HOSTS and ZOOKEEPER_HOSTS).",
    );
  }
  return env;
}

/** Redis settings pointing at the test Redis. */
export function testRedisSettings(): RedisSettings {
  return {
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: 6379,
    REDIS_DB: 0,
    REDIS_PASSWORD: null,
    REDIS_URL: serviceEnv().REDIS_URL,
    REDIS_SOCKET_TIMEOUT: 10,
  };
}

/** A fresh client on the test Redis; close it with `await redis.quit()`. */
export function testRedis(): Redis {
  return new Redis(serviceEnv().REDIS_URL, { lazyConnect: false });
}

/** A random name such as `t-link-3f9a1c2b` (valid in ids, topics, keys and group ids). */
export function randomName(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Deletes every key containing `fragment` (tests put a random name in every key). */
export async function deleteKeysContaining(redis: Redis, fragment: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `*${fragment}*`, "COUNT", 1000);
    cursor = next;
    if (found.length > 0) deleted += await redis.del(...found);
  } while (cursor !== "0");
  return deleted;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  throw new Error(
    `Timed out waiting for ${opts.what ?? "condition"}${last ? `: ${last}` : ""}`,
  );
}

/**
 * The test Redis URL with another database number, for tests of code that scans global
 * patterns (job index, stats): they get a database of their own, flushed by the test.
 */
export function isolatedRedisUrl(db: number): string {
  const url = new URL(serviceEnv().REDIS_URL);
  url.pathname = `/${db}`;
  return url.href;
}
