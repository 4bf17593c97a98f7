/**
 * Helpers for integration tests: the real services that `deno task test` started, random names
 * so tests never share keys, topics or groups, and cleanup.
 *
 * @module
 */

import { Cluster, Redis } from "ioredis";
import {
  parseClusterNodes,
  type RedisClient,
  type RedisSettings,
  scanKeys,
} from "../lib/services/mod.ts";

/** Which Redis a test runs on: the single test Redis, or the local three-master Redis Cluster. */
export type RedisKind = "plain" | "cluster";

/** The kinds of Redis tests can run on: "cluster" too when `deno task test` started one. */
export function redisKinds(): RedisKind[] {
  return Deno.env.get("TEST_REDIS_CLUSTER_NODES") ? ["plain", "cluster"] : ["plain"];
}

/** `REDIS_CLUSTER_NODES` of the test cluster; throws outside `deno task test`. */
function _clusterNodes(): string {
  const nodes = Deno.env.get("TEST_REDIS_CLUSTER_NODES");
  if (!nodes) {
    throw new Error(
      "Tests on Redis Cluster need TEST_REDIS_CLUSTER_NODES: run them with 'deno task test'.",
    );
  }
  return nodes;
}

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

/** Redis settings pointing at the test Redis, or at the test Redis Cluster. */
export function testRedisSettings(kind: RedisKind = "plain"): RedisSettings {
  return {
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: 6379,
    REDIS_DB: 0,
    REDIS_PASSWORD: null,
    REDIS_URL: kind === "plain" ? serviceEnv().REDIS_URL : null,
    REDIS_SOCKET_TIMEOUT: 10,
    REDIS_CLUSTER_NODES: kind === "cluster" ? _clusterNodes() : null,
  };
}

/** The environment a spawned component needs to use that Redis (`REDIS_URL` or the cluster). */
export function redisEnv(kind: RedisKind = "plain"): Record<string, string> {
  return kind === "plain"
    ? { REDIS_URL: serviceEnv().REDIS_URL, REDIS_CLUSTER_NODES: "" }
    : { REDIS_URL: "", REDIS_CLUSTER_NODES: _clusterNodes() };
}

/**
 * A fresh client on the test Redis (or the test Redis Cluster), usable at once (commands wait
 * for the connection); close it with `await redis.quit()`.
 */
export function testRedis(kind?: "plain"): Redis;
export function testRedis(kind: RedisKind): RedisClient;
export function testRedis(kind: RedisKind = "plain"): RedisClient {
  if (kind === "plain") return new Redis(serviceEnv().REDIS_URL, { lazyConnect: false });
  return new Cluster(parseClusterNodes(_clusterNodes()), {
    enableAutoPipelining: true,
    scaleReads: "master",
  });
}

/** A random name such as `t-link-3f9a1c2b` (valid in ids, topics, keys and group ids). */
export function randomName(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Deletes every key containing `fragment` (tests put a random name in every key), on every
 * master of a cluster; one DEL per key, since a cluster refuses DEL over several slots.
 */
export async function deleteKeysContaining(redis: RedisClient, fragment: string): Promise<number> {
  let deleted = 0;
  for await (const found of scanKeys(redis, `*${fragment}*`)) {
    const counts = await Promise.all(found.map((key) => redis.del(key)));
    deleted += counts.reduce((a, b) => a + b, 0);
  }
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
