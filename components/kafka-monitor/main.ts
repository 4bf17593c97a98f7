/**
 * kafka-monitor: `run` validates API requests from Kafka and hands them to Redis;
 * `feed '<json>'` puts one request on the incoming topic (`--watch`: and follows its crawl).
 *
 * @module
 */

import {
  finish,
  getLog,
  type ProgramSpec,
  runUntilStopped,
  shutdownSignal,
  startProgram,
} from "../../lib/config/mod.ts";
import { closeRedis, connectRedis, KafkaProbe } from "../../lib/services/mod.ts";
import { feed } from "./feed.ts";
import { feedAndWatch } from "./feed_watch.ts";
import { ProgressDisplay } from "./watch_render.ts";
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
      summary:
        "put one JSON request on the incoming topic (--watch: then show its crawl's progress)",
      options: {
        watch: {
          type: "boolean",
          description:
            "after feeding a crawl request, show its progress until it is idle or Ctrl-C",
        },
        idle: {
          type: "string",
          default: "10",
          valueName: "SECONDS",
          description: "with --watch: the crawl is finished after this long with nothing pending",
        },
      },
      positionals: [{
        name: "json",
        description: "the request, as one JSON object",
        required: true,
      }],
    },
  ],
};

if (import.meta.main) {
  const { command, values, positionals, settings } = await startProgram(
    PROGRAM,
    KAFKA_MONITOR_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const log = getLog("kafka-monitor");
  if (command === "feed" && values.watch === true) {
    const idleSec = Number(values.idle);
    if (!(String(values.idle).trim() !== "" && idleSec >= 0 && Number.isFinite(idleSec))) {
      console.error(`Cannot watch: --idle must be a number of seconds, got '${values.idle}'`);
      await finish(2);
    }
    const tty = Deno.stdout.isTerminal();
    const out = new TextEncoder();
    const display = new ProgressDisplay({
      tty,
      write: (text) => Deno.stdout.writeSync(out.encode(text)),
      ...(tty && { columns: Deno.consoleSize().columns }),
    });
    const code = await feedAndWatch(positionals[0], settings, log, {
      idleSec,
      display,
      error: (line) => console.error(line),
      signal: shutdownSignal(),
    });
    await finish(code);
  }
  if (command === "feed") {
    try {
      console.log(await feed(positionals[0], settings, log));
      await finish(0);
    } catch (err) {
      console.error((err as Error).message);
      await finish(1);
    }
  }
  await runUntilStopped(log, async (signal) => {
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
  });
}
