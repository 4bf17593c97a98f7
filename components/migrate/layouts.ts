/**
 * The frontier layout of each side of a migration. The source's is read and never written (a
 * dry run changes nothing, and a source without a record is taken at its default: 1 shard on a
 * plain Redis, 16 on Redis Cluster); the target's is recorded with the count the migration
 * writes (`openFrontierLayout`), which refuses a target already holding another count.
 *
 * @module
 */

import {
  DEFAULT_CLUSTER_SHARDS,
  FRONTIER_SHARDS_KEY,
  FrontierLayout,
  openFrontierLayout,
} from "../../lib/frontier/mod.ts";
import { isRedisCluster, type RedisClient } from "../../lib/services/redis.ts";

/** A failure the operator can act on: printed as one line, exit code 1. */
export class MigrateError extends Error {
  override name = "MigrateError";
}

/** The shard count a Redis records, or null when it records none. */
export async function recordedShards(redis: RedisClient): Promise<number | null> {
  const stored = await redis.get(FRONTIER_SHARDS_KEY);
  if (stored === null) return null;
  const count = Number(stored);
  if (!Number.isInteger(count) || count < 1) {
    throw new MigrateError(`${FRONTIER_SHARDS_KEY} holds '${stored}', not a shard count`);
  }
  return count;
}

/** The layout of a Redis as it is (its record, else the default of its kind); writes nothing. */
export async function currentLayout(redis: RedisClient): Promise<FrontierLayout> {
  const count = await recordedShards(redis) ??
    (isRedisCluster(redis) ? DEFAULT_CLUSTER_SHARDS : 1);
  return new FrontierLayout(count);
}

/**
 * The layout a migration writes into: `count` shards, recorded unless `dryRun`. Refuses a
 * target whose record says otherwise (its frontier would be split in two ways).
 */
export async function targetLayout(
  redis: RedisClient,
  count: number,
  dryRun: boolean,
  where: string,
): Promise<FrontierLayout> {
  const recorded = await recordedShards(redis);
  if (recorded !== null && recorded !== count) {
    throw new MigrateError(
      `${where} already holds a frontier of ${recorded} shard(s) (${FRONTIER_SHARDS_KEY}), ` +
        `not ${count}: choose --shards ${recorded}, or move that frontier first`,
    );
  }
  if (dryRun) return new FrontierLayout(count);
  return await openFrontierLayout(redis, count);
}
