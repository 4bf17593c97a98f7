/**
 * The periodic stats dump (`STATS_DUMP` seconds, 0 = off): a component logs its own counters,
 * and the redis-monitor also the crawlers' status codes (`STATS_DUMP_CRAWL`) and the queue
 * backlogs (`STATS_DUMP_QUEUE`), as Scrapy Cluster's monitors do.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { componentStats, crawlerStats, queueStats } from "./reader.ts";
import type { RedisClient } from "../services/redis.ts";

/** Options of {@linkcode startStatsDump}. */
export interface StatsDumpOptions {
  /** STATS_DUMP in seconds; 0 disables the dump. */
  intervalSec: number;
  signal: AbortSignal;
  /** Also dump crawler status codes per spider and machine. */
  crawl?: boolean;
  /** Also dump queue backlogs. */
  queue?: boolean;
}

/** Logs the component's statistics every interval until `signal` aborts. */
export function startStatsDump(
  redis: RedisClient,
  component: "kafka-monitor" | "redis-monitor" | "rest",
  log: Logger,
  opts: StatsDumpOptions,
): void {
  if (opts.intervalSec <= 0) return;
  const dump = async () => {
    const now = Date.now() / 1000;
    const own = await componentStats(redis, component, now);
    log.info("Stats dump", { stats: { total: own.total, fail: own.fail, plugins: own.plugins } });
    if (opts.crawl) {
      const crawler = await crawlerStats(redis, now);
      log.info("Crawler stats dump", { spiders: crawler.spiders, machines: crawler.machines });
    }
    if (opts.queue) log.info("Queue stats dump", { queues: (await queueStats(redis)).queues });
  };
  const timer = setInterval(() => {
    dump().catch((err) => log.warn("Stats dump failed: {error}", { error: err }));
  }, opts.intervalSec * 1000);
  opts.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
