/**
 * Commands over keys of any slots, for code that works on a single Redis and on Redis Cluster
 * alike. A Redis Cluster refuses a pipeline or MULTI whose keys live on different nodes, and a
 * multi-key command (DEL k1 k2, MGET) whose keys are in different slots; these helpers send such
 * work as single-key commands there (ioredis auto-pipelines them: one round trip per node), and
 * keep today's single pipeline or multi-key command on a single Redis.
 *
 * Only for work that needs no atomicity across its keys: a pipeline never had it, and what
 * needs it shares a hash tag or uses one key.
 *
 * @example
 * ```ts ignore
 * const batch = commandBatch(redis);
 * batch.incr("stats:a").expire("stats:a", 60).incr("stats:b");
 * const results = await batch.exec(); // [[null, 1], [null, 1], [null, 1]], as a pipeline's
 * ```
 *
 * @module
 */

import type { ChainableCommander } from "ioredis";
import { isRedisCluster, type RedisClient } from "./redis.ts";

/**
 * A pipeline on a single Redis; on a cluster, a recorder with the same interface whose `exec()`
 * sends each command on its own (in order per node) and resolves with `[error, result]` per
 * command, as a pipeline does.
 */
export function commandBatch(client: RedisClient): ChainableCommander {
  if (!isRedisCluster(client)) return client.pipeline();
  const cluster = client;
  const calls: [string, unknown[]][] = [];
  const target = cluster as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const batch: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_, name) {
      if (name === "length") return calls.length;
      if (name === "exec") {
        return () =>
          Promise.all(
            calls.splice(0).map(([command, args]) =>
              target[command](...args).then(
                (result) => [null, result] as [null, unknown],
                (err: Error) => [err, undefined] as [Error, unknown],
              )
            ),
          );
      }
      if (typeof name !== "string" || typeof target[name] !== "function") return undefined;
      return (...args: unknown[]) => {
        calls.push([name, args]);
        return batch;
      };
    },
  });
  clusterBatches.add(batch);
  return batch;
}

const clusterBatches = new WeakSet<object>();

/**
 * True for a {@linkcode commandBatch} of a Redis Cluster client, or a cluster's own pipeline:
 * code that only gets the batch (a kafka-monitor plugin) lays its keys out for the cluster.
 */
export function batchOnCluster(pipeline: ChainableCommander): boolean {
  if (clusterBatches.has(pipeline)) return true;
  const owner = (pipeline as unknown as { redis?: { isCluster?: boolean } }).redis;
  return owner?.isCluster === true;
}

/** DEL of `keys`: one command on a single Redis, one per key on a cluster; resolves with the count. */
export async function deleteKeys(client: RedisClient, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isRedisCluster(client)) return await client.del(...keys);
  const counts = await Promise.all(keys.map((key) => client.del(key)));
  return counts.reduce((a, b) => a + b, 0);
}

/** MGET of `keys`: one command on a single Redis, one GET per key on a cluster. */
export async function getKeys(
  client: RedisClient,
  keys: readonly string[],
): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (!isRedisCluster(client)) return await client.mget(...keys);
  return await Promise.all(keys.map((key) => client.get(key)));
}
