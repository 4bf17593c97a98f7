/**
 * The faults of `deno task chaos`, each injected into a running crawl: a crawler SIGKILLed,
 * Redis restarted (append-only file on), Redis away longer than `REDIS_SOCKET_TIMEOUT`, the
 * Kafka broker SIGKILLed and restarted on its data, ZooKeeper away 30 s. Beside them, for runs
 * on a Redis Cluster ({@linkcode SHARD_RESTART}): the master holding the crawl's shard restarted.
 *
 * @module
 */

import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import type { RestartableServer } from "../../lib/services/local/mod.ts";
import { leasedUrls } from "./analysis.ts";
import {
  type ChaosRedisEnv,
  chaosRedisEnv,
  frontierLeases,
  masterOf,
  withChaosRedis,
} from "./frontier.ts";
import type { Fault, FaultContext } from "./scenario.ts";

function _server(
  ctx: FaultContext,
  name: "redis" | "kafka" | "zookeeper",
): RestartableServer {
  const server = ctx.services[name];
  if (!server) {
    throw new Error(`Cannot break ${name}: the harness did not start it (its address was given)`);
  }
  return server;
}

/** The paths of the requests leased right now (what a crawler killed now may hold). */
async function _leasedPaths(env: ChaosRedisEnv): Promise<string[]> {
  return leasedUrls(await frontierLeases(env)).map((u) => new URL(u).pathname);
}

/** SIGKILL the last of the crawlers; the others carry on. Its leases are watched. */
export const CRAWLER_KILL: Fault = {
  name: "crawler-kill",
  what: "SIGKILL one of two crawlers",
  breaks: [],
  async inject(ctx) {
    const victim = ctx.crawlers.at(-1);
    if (!victim || ctx.crawlers.length < 2) {
      throw new Error("Cannot kill a crawler: the plan must run at least two");
    }
    const watch = await _leasedPaths(chaosRedisEnv(ctx.settings));
    const startAt = Date.now();
    await victim.kill();
    ctx.say(`crawler killed holding up to ${watch.length} leases (both crawlers' leases)`);
    return { startAt, endAt: startAt, watch };
  },
};

/** Redis stopped (SIGTERM: the append-only file is flushed) and started again at once. */
export const REDIS_RESTART: Fault = {
  name: "redis-restart",
  what: "Redis restarted (appendonly yes)",
  breaks: ["redis"],
  async inject(ctx) {
    const t = await _server(ctx, "redis").restart();
    return { startAt: t.downAt, endAt: t.upAt };
  },
};

/** Redis down for `REDIS_SOCKET_TIMEOUT` + 5 s: commands time out while it is away. */
export const REDIS_OUTAGE: Fault = {
  name: "redis-outage",
  what: "Redis down longer than REDIS_SOCKET_TIMEOUT",
  breaks: ["redis"],
  async inject(ctx) {
    const timeoutSec = Number(ctx.settings.REDIS_SOCKET_TIMEOUT ?? 10);
    const t = await _server(ctx, "redis").restart({ downMs: (timeoutSec + 5) * 1000 });
    return { startAt: t.downAt, endAt: t.upAt };
  },
};

/** The broker SIGKILLed and started again on the same port and data folder. */
export const KAFKA_KILL: Fault = {
  name: "kafka-kill",
  what: "Kafka broker SIGKILLed and restarted",
  breaks: ["kafka"],
  async inject(ctx) {
    const t = await _server(ctx, "kafka").restart({ kill: true });
    return { startAt: t.downAt, endAt: t.upAt };
  },
};

/** ZooKeeper stopped for 30 s. The crawl is paced to outlast it. */
export const ZOOKEEPER_DOWN: Fault = {
  name: "zookeeper-down",
  what: "ZooKeeper down 30 s",
  breaks: ["zookeeper"],
  plan: { feedIntervalMs: 1_500, faultAtShare: 0.1 },
  async inject(ctx) {
    const t = await _server(ctx, "zookeeper").restart({ downMs: 30_000 });
    return { startAt: t.downAt, endAt: t.upAt };
  },
};

/** The chaos site's domain: every page of the crawl is queued in its shard. */
const CHAOS_DOMAIN = "127.0.0.1";

/**
 * On a Redis Cluster (`startChaosServices({ redisCluster: true })`): the master serving the
 * shard of the crawl's domain (its queue, leases, index and dupefilter) stopped (SIGTERM) and
 * started again on the same port and data (append-only file fsynced on every write). Not in
 * {@linkcode FAULTS}: `deno task chaos` runs on a single Redis.
 */
export const SHARD_RESTART: Fault = {
  name: "shard-restart",
  what: "the Redis Cluster master of the crawl's shard restarted",
  breaks: ["redis"],
  async inject(ctx) {
    const cluster = ctx.services.redisCluster;
    if (!cluster) throw new Error("Cannot restart a shard: the run is not on a Redis Cluster");
    const env = chaosRedisEnv(ctx.settings);
    const queue = await withChaosRedis(env, async (redis) => {
      const layout = await openFrontierLayout(redis);
      return layout.of(CHAOS_DOMAIN).queue("link", CHAOS_DOMAIN);
    });
    const index = await masterOf(env, cluster.ports, queue);
    // The requests leased now live on that master: their return is timed like a killed
    // crawler's (the table's orphans column).
    const watch = await _leasedPaths(env);
    ctx.say(`restarting master ${index} (port ${cluster.ports[index]}), which holds ${queue}`);
    const startAt = Date.now();
    await cluster.restart(index);
    return { startAt, endAt: Date.now(), watch };
  },
};

/** Every fault, in the order `deno task chaos` runs them. */
export const FAULTS: readonly Fault[] = [
  CRAWLER_KILL,
  REDIS_RESTART,
  REDIS_OUTAGE,
  KAFKA_KILL,
  ZOOKEEPER_DOWN,
];
