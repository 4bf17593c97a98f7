/**
 * What the chaos harness reads and resets in the frontier of a run, on a single Redis or on a
 * Redis Cluster: a short-lived client that gives up at once while Redis is away (the harness
 * must never wait on the Redis a fault broke), the leases of every shard, and an empty frontier
 * before each fault.
 *
 * @module
 */

import { Cluster, Redis } from "ioredis";
import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { isRedisCluster, parseClusterNodes, type RedisClient } from "../../lib/services/mod.ts";

/** Where a chaos run's Redis is: `REDIS_CLUSTER_NODES` when set, otherwise `REDIS_URL`. */
export interface ChaosRedisEnv {
  readonly REDIS_URL: string;
  readonly REDIS_CLUSTER_NODES?: string;
}

/** The Redis part of a run's component settings. */
export function chaosRedisEnv(settings: Readonly<Record<string, string>>): ChaosRedisEnv {
  return { REDIS_URL: settings.REDIS_URL ?? "", REDIS_CLUSTER_NODES: settings.REDIS_CLUSTER_NODES };
}

/** Runs `fn` with a client that fails rather than waits while Redis (or a master) is away. */
export async function withChaosRedis<T>(
  env: ChaosRedisEnv,
  fn: (redis: RedisClient) => Promise<T>,
): Promise<T> {
  const redis: RedisClient = env.REDIS_CLUSTER_NODES
    ? new Cluster(parseClusterNodes(env.REDIS_CLUSTER_NODES), {
      lazyConnect: true,
      scaleReads: "master",
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      redisOptions: { maxRetriesPerRequest: 0, connectTimeout: 2_000 },
    })
    : new Redis(env.REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
    });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** The lease members of `spiderid` in every shard of the frontier. */
export async function frontierLeases(env: ChaosRedisEnv, spiderid = "link"): Promise<string[]> {
  return await withChaosRedis(env, async (redis) => {
    const layout = await openFrontierLayout(redis);
    const lists = await Promise.all(
      layout.shards.map((shard) => redis.zrange(shard.leases(spiderid), "0", "-1")),
    );
    return lists.flat();
  });
}

/** Empties the run's Redis (every master of a cluster). */
export async function flushChaosRedis(env: ChaosRedisEnv): Promise<void> {
  await withChaosRedis(env, async (redis) => {
    if (isRedisCluster(redis)) {
      await Promise.all(redis.nodes("master").map((node) => node.flushdb()));
    } else {
      await redis.flushdb();
    }
  });
}

/** The index (in `ports`) of the cluster master serving `key`'s slot. */
export async function masterOf(
  env: ChaosRedisEnv,
  ports: readonly number[],
  key: string,
): Promise<number> {
  return await withChaosRedis(env, async (redis) => {
    const slot = await redis.call("CLUSTER", "KEYSLOT", key) as number;
    const slots = await redis.call("CLUSTER", "SLOTS") as [number, number, [string, number]][];
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    const index = range ? ports.indexOf(Number(range[2][1])) : -1;
    if (index < 0) throw new Error(`Cannot find the master of slot ${slot} among ${ports}`);
    return index;
  });
}
