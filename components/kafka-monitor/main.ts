/**
 * kafka-monitor: `run` validates API requests from Kafka and hands them to Redis;
 * `feed '<json>'` puts one request on the incoming topic.
 *
 * @module
 */

import {
  exitWithError,
  finish,
  getLog,
  type ProgramSpec,
  shutdownSignal,
  startProgram,
} from "../../lib/config/mod.ts";
import { closeRedis, connectRedis, KafkaProbe } from "../../lib/services/mod.ts";
import { feed } from "./feed.ts";
import { runKafkaMonitor } from "./monitor.ts";
import { loadPlugins } from "./plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "./settings.ts";

const PROGRAM: ProgramSpec = {
  name: "kafka-monitor",
  description:
    "Validates JSON API requests from Kafka and hands them to the cluster through Redis.",
  commands: [
    { name: "run", summary: "consume the incoming topic continuously (the main process)" },
    {
      name: "feed",
      summary: "put one JSON request on the incoming topic",
      positionals: [{
        name: "json",
        description: "the request, as one JSON object",
        required: true,
      }],
    },
  ],
};

if (import.meta.main) {
  const { command, positionals, settings } = await startProgram(
    PROGRAM,
    KAFKA_MONITOR_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const log = getLog("kafka-monitor");
  if (command === "feed") {
    try {
      console.log(await feed(positionals[0], settings, log));
      await finish(0);
    } catch (err) {
      console.error((err as Error).message);
      await finish(1);
    }
  }
  const signal = shutdownSignal();
  try {
    const redis = await connectRedis(settings, "kafka-monitor", {
      outage: { log, meanwhile: "pausing intake, will retry" },
    });
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
    // Each Kafka outage logged once (intake waits meanwhile).
    new KafkaProbe(settings, {
      outage: { log, component: "kafka-monitor", meanwhile: "intake waits, will retry" },
      intervalMs: 1_000,
      signal,
    }).start();
    await runKafkaMonitor({ settings, redis, plugins, log }, { signal });
    await closeRedis(redis);
  } catch (err) {
    log.error("{message}", { message: (err as Error).message });
    exitWithError(err);
  }
  await finish(0);
}
