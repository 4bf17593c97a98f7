/**
 * Shared set-up of the frontier's integration tests: a fresh client and a random spider id,
 * every key of that spider deleted afterwards — once per frontier layout: plain Redis with one
 * shard (Scrapy Cluster's key names), plain Redis with 4 shards (hash tags, rotation), and,
 * when `deno task test` started one, the real Redis Cluster with 16 shards.
 *
 * @module
 */

import { type EnqueueCrawl, FrontierLayout } from "../../lib/frontier/mod.ts";
import type { RedisClient } from "../../lib/services/redis.ts";
import {
  deleteKeysContaining,
  randomName,
  type RedisKind,
  redisKinds,
  testRedis,
} from "../harness.ts";

/** A client on the test Redis (plain or cluster). */
export type Client = RedisClient;

/** The layouts every frontier test runs on. */
export function frontierSetups(): { kind: RedisKind; shards: number }[] {
  const setups: { kind: RedisKind; shards: number }[] = [
    { kind: "plain", shards: 1 },
    { kind: "plain", shards: 4 },
  ];
  if (redisKinds().includes("cluster")) setups.push({ kind: "cluster", shards: 16 });
  return setups;
}

/**
 * Runs `fn` with a client, a random spider id, a crawl of it and the frontier layout, once per
 * {@linkcode frontierSetups} entry (those `only` keeps); cleans up after each.
 */
export async function withSpider(
  fn: (redis: Client, spider: string, crawl: EnqueueCrawl, layout: FrontierLayout) => Promise<void>,
  only: (setup: { kind: RedisKind; shards: number }) => boolean = () => true,
): Promise<void> {
  for (const setup of frontierSetups().filter(only)) {
    const redis = testRedis(setup.kind);
    const spider = randomName("spider");
    const crawl: EnqueueCrawl = {
      spiderid: spider,
      appid: "app",
      crawlid: "c1",
      expires: 0,
      dupefilterTtlSec: 600,
    };
    try {
      await fn(redis, spider, crawl, new FrontierLayout(setup.shards));
    } catch (err) {
      throw new Error(`on ${setup.kind} Redis with ${setup.shards} shard(s): ${err}`, {
        cause: err,
      });
    } finally {
      await deleteKeysContaining(redis, spider);
      await redis.quit();
    }
  }
}

/** Runs a test on plain Redis only (a pipeline spans one node). */
export const PLAIN = (s: { kind: RedisKind }) => s.kind === "plain";

/** Runs a test on one shard only (it checks an order across domains that is one index's). */
export const SINGLE_SHARD = (s: { shards: number }) => s.shards === 1;

/** Leases of a spider over every shard. */
export async function countLeases(
  redis: Client,
  layout: FrontierLayout,
  spider: string,
): Promise<number> {
  const counts = await Promise.all(layout.shards.map((s) => redis.zcard(s.leases(spider))));
  return counts.reduce((a, b) => a + b, 0);
}
