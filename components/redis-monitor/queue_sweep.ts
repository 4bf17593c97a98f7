/**
 * The redis-monitor's queue sweep: every `QUEUE_SCAN_INTERVAL` seconds one redis-monitor of the
 * cluster (whoever takes `lock:queue_sweep` for the period) SCANs the frontier's queue keys and
 * adopts what others wrote into them (`lib/frontier/adopt.ts`): requests Scrapy Cluster's
 * kafka-monitor queued are crawled and counted within one interval, counters that drifted (a
 * Scrapy Cluster crawler popping our requests) are rebuilt. It runs beside the job loop, so a
 * long sweep never delays an info or stop answer.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { sleep } from "../../lib/async/mod.ts";
import { adoptQueues, openFrontierLayout } from "../../lib/frontier/mod.ts";
import { logRedisFailure, type RedisClient } from "../../lib/services/redis.ts";
import type { RedisMonitorSettings } from "./settings.ts";

/** Held by the redis-monitor sweeping this period. */
export const QUEUE_SWEEP_LOCK = "lock:queue_sweep";

/** One sweep if this monitor takes the period's lock; resolves with whether it swept. */
export async function sweepQueuesOnce(
  redis: RedisClient,
  settings: Pick<RedisMonitorSettings, "QUEUE_SCAN_INTERVAL" | "FRONTIER_SHARDS">,
  log: Logger,
  signal?: AbortSignal,
): Promise<boolean> {
  const period = Math.max(1, settings.QUEUE_SCAN_INTERVAL - 1);
  if ((await redis.set(QUEUE_SWEEP_LOCK, "1", "EX", period, "NX")) !== "OK") return false;
  const layout = await openFrontierLayout(redis, settings.FRONTIER_SHARDS);
  const summary = await adoptQueues(redis, layout, { signal });
  if (summary.rescored > 0 || summary.repaired > 0) {
    log.info(
      "Adopted {rescored} request(s) written outside the frontier, rebuilt the counters of " +
        "{repaired} queue(s) ({queues} queue(s) swept)",
      { ...summary },
    );
  }
  if (summary.misplaced > 0) {
    log.warn(
      "{misplaced} queue key(s) belong to another frontier layout and are not crawled: move them " +
        "with 'deno task migrate'",
      { misplaced: summary.misplaced },
    );
  }
  return true;
}

/** Sweeps every `QUEUE_SCAN_INTERVAL` seconds until `signal` aborts (never rejects). */
export async function runQueueSweep(
  redis: RedisClient,
  settings: Pick<RedisMonitorSettings, "QUEUE_SCAN_INTERVAL" | "FRONTIER_SHARDS">,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await sweepQueuesOnce(redis, settings, log, signal);
    } catch (err) {
      logRedisFailure(log, redis, "Queue sweep failed (will retry): {error}", err);
    }
    await sleep(settings.QUEUE_SCAN_INTERVAL * 1000, signal);
  }
}
