/**
 * redis-monitor: `run` handles the jobs the kafka-monitor writes to Redis (info, stop, expire,
 * stats, zookeeper) and publishes the answers to Kafka. Several may run at once.
 *
 * @module
 */

import { getLog, type ProgramSpec, runUntilStopped, startProgram } from "../../lib/config/mod.ts";
import { closeRedis, connectProducer, connectRedis, KafkaProbe } from "../../lib/services/mod.ts";
import { PROCESS_ID } from "../../lib/stats/mod.ts";
import { outboundFirehose } from "../../lib/api/mod.ts";
import { runRedisMonitor } from "./monitor.ts";
import { loadPlugins } from "./plugin.ts";
import { REDIS_MONITOR_SETTINGS } from "./settings.ts";

const PROGRAM: ProgramSpec = {
  name: "redis-monitor",
  description: "Handles the cluster's jobs in Redis and publishes the answers to Kafka.",
  commands: [{ name: "run", summary: "handle jobs until stopped" }],
};

if (import.meta.main) {
  const { settings } = await startProgram(
    PROGRAM,
    REDIS_MONITOR_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const log = getLog("redis-monitor");
  await runUntilStopped(log, async (signal) => {
    const redis = await connectRedis(settings, "redis-monitor", {
      outage: { log, meanwhile: "jobs paused, will retry" },
    });
    // Each Kafka outage logged once (answers wait meanwhile).
    new KafkaProbe(settings, {
      outage: { log, component: "redis-monitor", meanwhile: "answers wait, will retry" },
      intervalMs: 1_000,
      signal,
    }).start();
    const { producer } = await connectProducer(settings, `redis-monitor-${PROCESS_ID}`, [
      outboundFirehose(settings.KAFKA_TOPIC_PREFIX),
    ]);
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
    await runRedisMonitor({ settings, redis, plugins, producer, log }, { signal });
    await producer.close();
    await closeRedis(redis);
  });
}
