/**
 * The cluster's programs as bench subprocesses: the settings every bench gives them (its own topic
 * prefix and ZooKeeper path on the shared services, the throttle and network guard off for a
 * loopback site) and a start that waits for the crawler's heartbeat. Shared by the crawler,
 * `slow`, `latency` and `ingest` benches so each measures the same programs the same way.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { type Child, sleep, spawnChild } from "./proc.ts";
import type { BenchContext } from "./crawler_bench.ts";

/** The permissions of the components' deno tasks (plus osRelease, harmless when unused). */
const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys=hostname,osRelease",
];

/** A path relative to this folder. */
export const benchPath = (path: string) => new URL(path, import.meta.url).pathname;

/**
 * The environment of a bench's kafka-monitor and crawler: topics, group and ZooKeeper path under
 * `prefix`, `concurrency` requests at a time on one domain, then `ctx.extraEnv` (`--set`).
 */
export function componentEnv(
  ctx: Pick<BenchContext, "env" | "producerBufferBytes" | "extraEnv">,
  prefix: string,
  concurrency: number,
): Record<string, string> {
  return {
    REDIS_URL: ctx.env.REDIS_URL,
    KAFKA_HOSTS: ctx.env.KAFKA_HOSTS,
    ZOOKEEPER_HOSTS: ctx.env.ZOOKEEPER_HOSTS,
    ZOOKEEPER_ASSIGN_PATH: `/${prefix}/crawler/`,
    // One local site at full speed: no cluster-wide per-domain budget (its default is 10 pops
    // a minute); `--set THROTTLE_ENABLED=true --set QUEUE_HITS=...` measures the throttled pop.
    THROTTLE_ENABLED: "false",
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    KAFKA_GROUP: `${prefix}-group`,
    CONCURRENT_REQUESTS: String(concurrency),
    CONCURRENT_REQUESTS_PER_DOMAIN: String(concurrency),
    MAXDEPTH_LIMIT: "50",
    KAFKA_PRODUCER_BUFFER_BYTES: String(ctx.producerBufferBytes),
    LOG_LEVEL: "WARNING",
    LOG_STDOUT: "true",
    // The bench site is on a loopback address: the network guard off (plain fetch, no cost).
    ALLOW_PRIVATE_ADDRESSES: "true",
    ...ctx.extraEnv,
  };
}

/**
 * Starts `components/<name>/main.ts run` with `env` (`denoFlags` before the script; for the
 * crawler also the space-separated `BENCH_CRAWLER_DENO_FLAGS`, e.g. `--v8-flags=...`).
 */
export function spawnComponent(
  name: "crawler" | "kafka-monitor",
  env: Record<string, string>,
  denoFlags: string[] = [],
): Child {
  const extra = name === "crawler"
    ? (Deno.env.get("BENCH_CRAWLER_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== "")
    : [];
  return spawnChild(name, [
    "run",
    ...PERMISSIONS,
    ...extra,
    ...denoFlags,
    benchPath(`../../components/${name}/main.ts`),
    "run",
  ], { env });
}

/** The crawler heartbeat keys now (take before starting a crawler, for {@linkcode awaitHeartbeat}). */
export async function crawlerHeartbeats(redis: Redis): Promise<Set<string>> {
  return new Set(await redis.keys("stats:crawler:*:link:*"));
}

/** Waits for a crawler heartbeat key that is not in `before`: the crawler is polling. */
export async function awaitHeartbeat(redis: Redis, before: Set<string>, crawler: Child) {
  const deadline = performance.now() + 60_000;
  let exited = false;
  crawler.exited.then(() => exited = true);
  while (performance.now() < deadline && !exited) {
    const keys = await redis.keys("stats:crawler:*:link:*");
    if (keys.some((k) => !before.has(k))) return;
    await sleep(50);
  }
  throw new Error(`Cannot start the crawler: no heartbeat\n${crawler.tail()}`);
}
