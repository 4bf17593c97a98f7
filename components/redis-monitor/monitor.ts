/**
 * The redis-monitor: finds due jobs in the job index (and, now and then, job keys written
 * without it), hands each to the first plugin whose pattern matches, under a per-job lock so
 * several monitors can run at once, publishes the answer to Kafka (per-app topic first when
 * `KAFKA_APPID_TOPICS`, then the firehose) and only then deletes the job. A failing job is
 * retried up to `RETRY_FAILURES_MAX` times, then dropped with an error log.
 *
 * - An answer carrying the job's uuid is published once per uuid waiting for it
 *   (`waiting:<jobkey>`, see `lib/api/jobs.ts`), so two requests for one job get two answers.
 * - The job is deleted by compare-and-delete: a request that arrived while it was handled
 *   keeps it, and is answered on the next pass.
 * - A monitor that lost its lock (renewal failed, or another token holds it) abandons the
 *   job: nothing is published or deleted by it.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { sleep } from "../../lib/async/mod.ts";
import {
  BufferedCounter,
  heartbeatKey,
  hostName,
  PROCESS_ID,
  redisStatsWriter,
  startHeartbeat,
  startStatsDump,
  StatsCollector,
  windowsFromNames,
} from "../../lib/stats/mod.ts";
import {
  dueJobs,
  finishHandledJob,
  finishJob,
  forgetJob,
  indexUnlistedJobs,
  jobWaitersKey,
  lockFailuresKey,
  outboundAppTopic,
  outboundFirehose,
  postponeJob,
  tryLock,
} from "../../lib/api/mod.ts";
import {
  type BatchingProducer,
  isRedisCluster,
  logRedisFailure,
  type RedisClient,
} from "../../lib/services/mod.ts";
import { type Answer, globToRegExp, type RankedPlugin, type RedisMonitorPlugin } from "./plugin.ts";
import type { RedisMonitorSettings } from "./settings.ts";
import { runQueueSweep } from "./queue_sweep.ts";
import { startMetrics } from "../../lib/metrics/mod.ts";

/** What {@linkcode runRedisMonitor} needs. */
export interface MonitorDeps {
  readonly settings: RedisMonitorSettings;
  readonly redis: RedisClient;
  readonly plugins: readonly RankedPlugin[];
  /** Where answers go (a BatchingProducer; only `send` is used). */
  readonly producer: Pick<BatchingProducer, "send">;
  readonly log: Logger;
  /** Called after each job (tests wait with it). */
  readonly onJob?: (event: JobEvent) => void;
  /** The clock, in epoch seconds (tests move it). @default Date.now() / 1000 */
  readonly now?: () => number;
}

/** How one job ended. */
export type JobEvent =
  | { kind: "handled"; key: string; plugin: string; answer: Answer | null }
  | { kind: "retry"; key: string; plugin: string; failures: number; error: string }
  | { kind: "dropped"; key: string; plugin: string; error: string }
  /** The lock was lost while handling: nothing published, the job left to the lock's holder. */
  | { kind: "abandoned"; key: string; plugin: string };

/** Runs until `signal` aborts. */
export async function runRedisMonitor(deps: MonitorDeps, opts: { signal: AbortSignal }) {
  const { settings, redis, log } = deps;
  const now = deps.now ?? (() => Date.now() / 1000);
  const matchers = deps.plugins.map(({ plugin }) => ({ plugin, re: globToRegExp(plugin.pattern) }));
  const collector = new StatsCollector(
    "redis-monitor",
    windowsFromNames(settings.STATS_TIMES, (n) => log.warn("Unknown STATS_TIMES {n}", { n })),
  );
  // Counts of a job are written with it; a write that fails keeps them for the next one.
  const stats = new BufferedCounter(redisStatsWriter(redis, collector));
  const patterns = deps.plugins.map((p) => p.plugin.pattern);
  // Expiry jobs written by other tools are due at their value; everything else at once.
  const dueOf = (key: string, value: string | null) =>
    key.startsWith("timeout:") && Number.isFinite(Number(value)) ? Number(value) : 0;
  await startHeartbeat(redis, heartbeatKey("redis-monitor", hostName(), PROCESS_ID), {
    ttlSec: settings.HEARTBEAT_TIMEOUT,
    signal: opts.signal,
    onError: (err) => logRedisFailure(log, redis, "Heartbeat failed: {error}", err),
  });
  startStatsDump(redis, "redis-monitor", log, {
    intervalSec: settings.STATS_DUMP,
    signal: opts.signal,
    crawl: settings.STATS_DUMP_CRAWL,
    queue: settings.STATS_DUMP_QUEUE,
  });
  runQueueSweep(redis, settings, log, opts.signal);
  const metrics = startMetrics(settings, { signal: opts.signal, log }); // METRICS_PORT
  log.info("Redis Monitor running plugins {plugins}", {
    plugins: deps.plugins.map((p) => p.plugin.name),
  });
  let nextScan = 0;
  while (!opts.signal.aborted) {
    try {
      if (now() >= nextScan) {
        const found = await indexUnlistedJobs(redis, patterns, dueOf);
        if (found > 0) log.info("Indexed {n} job key(s) written without the index", { n: found });
        nextScan = now() + settings.JOB_SCAN_INTERVAL;
      }
      const keys = await dueJobs(redis, now());
      if (keys.length === 0) {
        await sleep(settings.SLEEP_TIME * 1000, opts.signal);
        continue;
      }
      for (const key of keys) {
        if (opts.signal.aborted) break;
        const match = matchers.find((m) => m.re.test(key));
        if (!match) {
          // Another monitor with other plugins may want it: look again in a minute.
          await postponeJob(redis, key, now() + 60);
          continue;
        }
        await processJob(deps, match.plugin, key, stats, now);
      }
    } catch (err) {
      // Redis away: ioredis reconnects; wait and try again.
      logRedisFailure(log, redis, "Redis Monitor loop failed (retrying): {error}", err);
      await sleep(1_000, opts.signal);
    }
  }
  for (const { plugin } of deps.plugins) await plugin.close?.();
  await stats.close();
  await metrics?.close();
  log.info("Redis Monitor stopped");
}

async function processJob(
  deps: MonitorDeps,
  plugin: RedisMonitorPlugin,
  key: string,
  stats: BufferedCounter,
  now: () => number,
): Promise<void> {
  const { settings, redis } = deps;
  const lock = await tryLock(redis, key, settings.REDIS_LOCK_EXPIRATION * 1000);
  if (!lock) return; // another monitor has it
  try {
    let value: string | null;
    let waiters: string[];
    try {
      const results = await redis.multi().get(key).smembers(
        jobWaitersKey(key, isRedisCluster(redis)),
      ).exec();
      const [[getErr, got], [, members]] = results ?? [[new Error("transaction discarded")], []];
      if (getErr) throw getErr;
      value = got as string | null;
      waiters = Array.isArray(members) ? members as string[] : [];
    } catch (err) {
      // A key of the wrong type (not a string job): a failure like any other.
      await count(deps, stats, ["total", "fail"]);
      return await recordFailure(deps, plugin, key, err, now);
    }
    if (value === null) {
      await forgetJob(redis, key); // handled by another monitor meanwhile
      return;
    }
    const ready = plugin.precondition?.(key, value, now()) ?? true;
    if (ready !== true) {
      await postponeJob(redis, key, typeof ready === "number" ? ready : now() + 1);
      return;
    }
    await count(deps, stats, ["total", plugin.name]);
    let answer: Answer | null;
    try {
      answer = await plugin.handle(key, value, now());
    } catch (err) {
      await count(deps, stats, ["fail"]);
      return await recordFailure(deps, plugin, key, err, now);
    }
    // Another monitor may hold the job now: answering too would answer it twice.
    if (!(await lock.confirm())) return abandon(deps, plugin, key);
    // One answer per waiting uuid when the answer is the job's (uuid-valued jobs).
    const uuids = answer && answer.uuid === value ? [...new Set([value, ...waiters])] : [];
    try {
      if (answer && uuids.length > 0) {
        for (const uuid of uuids) await publish(deps, { ...answer, uuid });
      } else if (answer) await publish(deps, answer);
    } catch (err) {
      // Kafka away is not the plugin's fault: keep the job (handling it again is harmless, the
      // built-in jobs are idempotent) and try again shortly, without spending its retries.
      deps.log.warn("Cannot publish the answer to {key} (will retry): {error}", {
        key,
        error: err,
      });
      return await postponeJob(redis, key, now() + 2);
    }
    if (lock.lost) return abandon(deps, plugin, key);
    await finishHandledJob(redis, key, value, uuids);
    await redis.del(lockFailuresKey(key));
    deps.onJob?.({ kind: "handled", key, plugin: plugin.name, answer });
  } finally {
    await lock.release().catch(() => {});
  }
}

function abandon(deps: MonitorDeps, plugin: RedisMonitorPlugin, key: string): void {
  deps.log.warn("Lost the lock of {key} while handling it; leaving it to the lock's holder", {
    key,
    plugin: plugin.name,
  });
  deps.onJob?.({ kind: "abandoned", key, plugin: plugin.name });
}

async function recordFailure(
  deps: MonitorDeps,
  plugin: RedisMonitorPlugin,
  key: string,
  err: unknown,
  now: () => number,
): Promise<void> {
  const { settings, redis, log } = deps;
  const error = err instanceof Error ? err.message : String(err);
  const failures = await redis.incr(lockFailuresKey(key));
  if (settings.RETRY_FAILURES && failures <= settings.RETRY_FAILURES_MAX) {
    log.warn("{plugin} failed on {key} (attempt {failures}), will retry: {error}", {
      plugin: plugin.name,
      key,
      failures,
      error,
    });
    await postponeJob(redis, key, now() + 1);
    deps.onJob?.({ kind: "retry", key, plugin: plugin.name, failures, error });
    return;
  }
  log.error("{plugin} failed on {key} {failures} time(s); dropping the job: {error}", {
    plugin: plugin.name,
    key,
    failures,
    error,
  });
  await finishJob(redis, key);
  await redis.del(lockFailuresKey(key));
  deps.onJob?.({ kind: "dropped", key, plugin: plugin.name, error });
}

/** Scrapy Cluster's KafkaBaseMonitor: the app's own topic first (if enabled), then the firehose. */
async function publish(deps: MonitorDeps, answer: Answer): Promise<void> {
  const prefix = deps.settings.KAFKA_TOPIC_PREFIX;
  const json = JSON.stringify(answer);
  if (deps.settings.KAFKA_APPID_TOPICS && typeof answer.appid === "string") {
    await deps.producer.send(outboundAppTopic(prefix, answer.appid), json);
  }
  await deps.producer.send(outboundFirehose(prefix), json);
}

async function count(deps: MonitorDeps, stats: BufferedCounter, names: string[]): Promise<void> {
  const wanted = names.filter((n) =>
    n === "total" || n === "fail" ? deps.settings.STATS_TOTAL : deps.settings.STATS_PLUGINS
  );
  if (wanted.length === 0) return;
  for (const name of wanted) stats.count(name);
  await stats.flush();
}
