/**
 * crawler: `run [--spider link]` pops requests of one spider type from Redis, crawls them and
 * publishes every page to Kafka. Start as many as you like, on any number of machines.
 *
 * @module
 */

import { getLog, type ProgramSpec, runUntilStopped, startProgram } from "../../lib/config/mod.ts";
import { hostName, PROCESS_ID } from "../../lib/stats/mod.ts";
import {
  checkZookeeper,
  closeRedis,
  connectProducer,
  connectRedis,
  KafkaProbe,
} from "../../lib/services/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { dropProxyBypass, NetworkGuard } from "../../lib/net/mod.ts";
import { runCrawler } from "./crawler.ts";
import { startLiveConfig } from "./live/live_config.ts";
import { CrawlerThrottle } from "./live/throttle.ts";
import { CRAWLER_SETTINGS } from "./settings.ts";
import { loadSpider } from "./spider_loader.ts";

const PROGRAM: ProgramSpec = {
  name: "crawler",
  description: "Crawls the requests of one spider type from Redis and publishes pages to Kafka.",
  commands: [{
    name: "run",
    summary: "crawl until stopped (SIGINT/SIGTERM finish or hand back in-flight pages)",
    options: {
      spider: {
        type: "string",
        description: "spider to run: link, wandering, or a module path (sets SPIDER)",
        valueName: "NAME",
      },
    },
  }],
};

if (import.meta.main) {
  const { settings } = await startProgram(
    PROGRAM,
    CRAWLER_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
    { spider: "SPIDER" },
  );
  const log = getLog("crawler");
  // Every download and the public IP lookup go through this guard (safe by default).
  const guard = NetworkGuard.fromSettings(settings);
  if (guard.enabled) {
    // NO_PROXY would make HttpClients connect by name, skipping the guard's pinned connection.
    const dropped = dropProxyBypass(Deno.env);
    if (dropped) log.warn("Ignoring {dropped}: it would bypass the network guard", { dropped });
  } else {
    log.warn("Network guard off (ALLOW_PRIVATE_ADDRESSES): any address may be fetched");
  }
  await runUntilStopped(log, async (signal) => {
    const spider = await loadSpider(settings.SPIDER);
    const redis = await connectRedis(settings, `crawler-${spider.name}`, {
      outage: { log, component: "crawler", meanwhile: "crawling paused, will retry" },
    });
    // Each Kafka outage logged once (results wait in their leases meanwhile).
    new KafkaProbe(settings, {
      outage: { log, component: "crawler", meanwhile: "results wait, will retry" },
      intervalMs: 1_000,
      signal,
    }).start();
    await checkZookeeper(settings.ZOOKEEPER_HOSTS);
    const { producer } = await connectProducer(settings, `crawler-${PROCESS_ID}`, [
      crawledFirehose(settings.KAFKA_TOPIC_PREFIX),
    ]);
    const host = hostName();
    const throttle = new CrawlerThrottle(settings, spider.name);
    const layout = await openFrontierLayout(redis, settings.FRONTIER_SHARDS);
    await startLiveConfig(throttle, settings, redis, layout, log, signal, guard);
    // runCrawler beats stats:crawler:<host>:<spider>:<PROCESS_ID> (HEARTBEAT_TIMEOUT): it holds
    // this process's leases.
    await runCrawler({
      settings,
      redis,
      producer,
      spider,
      log,
      host,
      id: PROCESS_ID,
      throttle,
      guard,
      layout,
    }, {
      signal,
    });
    await guard.close();
    await producer.close();
    await closeRedis(redis);
  });
}
