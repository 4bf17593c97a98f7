/**
 * The webhook process: wires Redis, the network guard, the hook lanes (refreshed from Redis
 * every `WEBHOOK_REFRESH` seconds), the firehose consumer, the heartbeat
 * `stats:webhook:self:<host>:<id>` and the counters `stats:webhook:<delivered|failed|paused>:*`
 * (items delivered, failed POSTs, hooks paused; with `total` = POSTs and `fail` = failed POSTs
 * under STATS_TOTAL), written once a second. On stop the lanes stop first (items not
 * delivered stay uncommitted), then the consumer commits what is done and leaves.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { sleep } from "../../lib/async/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { NetworkGuard } from "../../lib/net/mod.ts";
import {
  createKafka,
  ensureTopics,
  logRedisFailure,
  type RedisClient,
} from "../../lib/services/mod.ts";
import {
  BufferedCounter,
  heartbeatKey,
  hostName,
  PROCESS_ID,
  redisStatsWriter,
  startHeartbeat,
  StatsCollector,
  windowsFromNames,
} from "../../lib/stats/mod.ts";
import { consumeFirehose } from "./consumer.ts";
import { Lanes } from "./lanes.ts";
import type { WebhookSettings } from "./settings.ts";
import { startMetrics, withWebhookMetrics } from "../../lib/metrics/mod.ts";

/** What {@linkcode runWebhook} needs. */
export interface WebhookDeps {
  readonly settings: WebhookSettings;
  readonly redis: RedisClient;
  readonly log: Logger;
}

/** Delivers until `signal` aborts. */
export async function runWebhook(deps: WebhookDeps, signal: AbortSignal): Promise<void> {
  const { settings, redis, log } = deps;
  const guard = NetworkGuard.fromSettings(settings);
  const collector = new StatsCollector(
    "webhook",
    windowsFromNames(settings.STATS_TIMES, (n) => log.warn("Unknown STATS_TIMES {n}", { n })),
  );
  const stats = new BufferedCounter(redisStatsWriter(redis, collector), { intervalMs: 1_000 });
  const counted = settings.STATS_TOTAL ? _withTotals(stats) : stats;
  await startHeartbeat(redis, heartbeatKey("webhook", hostName(), PROCESS_ID), {
    ttlSec: settings.HEARTBEAT_TIMEOUT,
    signal,
    onError: (err) => logRedisFailure(log, redis, "Heartbeat failed: {error}", err),
  });
  const metrics = startMetrics(settings, { signal, log }); // METRICS_PORT
  const lanes = new Lanes({ settings, redis, guard, stats: withWebhookMetrics(counted), log });
  await lanes.refresh();
  const refreshing = (async () => {
    while (!signal.aborted) {
      await sleep(settings.WEBHOOK_REFRESH * 1000, signal).catch(() => {});
      if (signal.aborted) break;
      await lanes.refresh().catch((err) =>
        logRedisFailure(log, redis, "Cannot read the webhooks (retrying): {error}", err)
      );
    }
  })();
  const kafka = createKafka(settings, `webhook-${PROCESS_ID}`);
  await ensureTopics(kafka, [crawledFirehose(settings.KAFKA_TOPIC_PREFIX)]);
  // The lanes stop before the consumer's last commit, so nothing undelivered is committed.
  const stopped = new AbortController();
  signal.addEventListener("abort", () => {
    lanes.stop().finally(() => stopped.abort());
  }, { once: true });
  log.info("Webhook delivery running in group {group}", { group: settings.WEBHOOK_GROUP });
  await consumeFirehose(kafka, settings, lanes, log, stopped.signal);
  await refreshing;
  await stats.close();
  await guard.close();
  await metrics?.close();
  log.info("Webhook delivery stopped");
}

/** Counts `total` (POSTs) and `fail` (failed POSTs) besides the named counters. */
function _withTotals(stats: BufferedCounter): BufferedCounter {
  const count = stats.count.bind(stats);
  stats.count = (name: string, n = 1) => {
    count(name, n);
    if (name === "delivered") count("total");
    if (name === "failed") {
      count("total");
      count("fail");
    }
  };
  return stats;
}
