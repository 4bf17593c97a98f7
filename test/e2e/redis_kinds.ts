/**
 * The end-to-end suite on both kinds of Redis: each test registered once per kind that
 * `deno task test` provides (plain, and the three-master Redis Cluster, its name suffixed
 * " [cluster]"), and the frontier reads those tests make, through the frontier layout (the key
 * names carry a shard tag on a cluster).
 *
 * @module
 */

import { type FrontierLayout, openFrontierLayout } from "../../lib/frontier/mod.ts";
import { isRedisCluster, type RedisClient } from "../../lib/services/mod.ts";
import { type RedisKind, redisKinds } from "../harness.ts";

/** The test's name on that kind of Redis: as it is on plain Redis, " [cluster]" appended. */
export function nameOn(name: string, kind: RedisKind): string {
  return kind === "cluster" ? `${name} [cluster]` : name;
}

/** Registers `fn` as one Deno test per kind of Redis ({@linkcode redisKinds}). */
export function testOnEachRedis(
  name: string,
  fn: (kind: RedisKind) => Promise<void>,
): void {
  for (const kind of redisKinds()) Deno.test(nameOn(name, kind), () => fn(kind));
}

/** Empties the database (every master of a cluster: FLUSHDB only reaches one node). */
export async function flushAll(redis: RedisClient): Promise<void> {
  if (isRedisCluster(redis)) {
    await Promise.all(redis.nodes("master").map((node) => node.flushdb()));
  } else {
    await redis.flushdb();
  }
}

/** Members of a spider's leases, over every shard of the frontier. */
export async function allLeases(
  redis: RedisClient,
  spiderid: string,
  layout?: FrontierLayout,
): Promise<string[]> {
  const shards = (layout ?? await openFrontierLayout(redis)).shards;
  const lists = await Promise.all(
    shards.map((shard) => redis.zrange(shard.leases(spiderid), "0", "-1")),
  );
  return lists.flat();
}

/** Members of the queue of a spider and domain, in the shard holding that domain. */
export async function queued(
  redis: RedisClient,
  spiderid: string,
  domain: string,
): Promise<string[]> {
  const layout = await openFrontierLayout(redis);
  return await redis.zrange(layout.of(domain).queue(spiderid, domain), "0", "-1");
}
