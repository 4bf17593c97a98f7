/**
 * `feed --watch '<json>'`: feeds one crawl request, then follows that crawl in Redis
 * (`lib/api/progress.ts`: pages done and errors from the crawlers' per-crawl counters, pending
 * from the frontier's backlog counters) until it has had nothing pending for `idleSec` seconds
 * or the signal aborts, and prints a summary. Redis is connected before anything is fed, so an
 * unreachable Redis feeds nothing.
 *
 * @example
 * ```ts ignore
 * const display = new ProgressDisplay({ tty: Deno.stdout.isTerminal(), write: writeStdout });
 * const code = await feedAndWatch(json, settings, log, { idleSec: 10, display, signal });
 * ```
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import {
  type CrawlProgress as StoredProgress,
  crawlProgress,
  RateMeter,
} from "../../lib/api/progress.ts";
import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { closeRedis, connectRedis, type RedisClient } from "../../lib/services/mod.ts";
import { feed } from "./feed.ts";
import type { KafkaMonitorSettings } from "./settings.ts";
import { watchCrawl } from "./watch.ts";
import {
  type CrawlProgress,
  type ProgressDisplay,
  summaryLines,
  type WatchSummary,
} from "./watch_render.ts";

/** The crawl a request names (its spider type's counters hold its progress). */
export interface WatchedCrawl {
  readonly spiderid: string;
  readonly appid: string;
  readonly crawlid: string;
}

/** Options of {@linkcode feedAndWatch}. */
export interface FeedWatchOptions {
  /** Seconds with nothing pending after which the crawl counts as finished. */
  idleSec: number;
  /** Where progress, the summary and notices go. */
  display: ProgressDisplay;
  /** Aborting it (Ctrl-C) ends the watch; the crawl goes on. */
  signal?: AbortSignal;
  /**
   * Milliseconds between readings.
   * @default {500}
   */
  intervalMs?: number;
  /**
   * Receives the one line saying why nothing was fed.
   * @default {the display's print}
   */
  error?: (line: string) => void;
  /** Receives the summary (also printed on the display). */
  onSummary?: (summary: WatchSummary) => void;
}

/**
 * The crawl of a crawl request's JSON text.
 * @throws {Error} "Cannot watch: …" when it is not a JSON object with url, appid and crawlid.
 */
export function crawlOfRequest(text: string): WatchedCrawl {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null; // feed words the parse error; here it only is not a crawl request
  }
  const req = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const named = (field: string) => typeof req[field] === "string" && req[field] !== "";
  if (!named("url") || !named("appid") || !named("crawlid")) {
    throw new Error(
      "Cannot watch: --watch follows a crawl request, which names url, appid and crawlid",
    );
  }
  return {
    spiderid: typeof req.spiderid === "string" && req.spiderid !== "" ? req.spiderid : "link",
    appid: req.appid as string,
    crawlid: req.crawlid as string,
  };
}

/**
 * Feeds `text` and watches its crawl; resolves to the exit code: 0 once watched to the end (or
 * interrupted after feeding), 1 when nothing could be fed (the reason printed in one line).
 */
export async function feedAndWatch(
  text: string,
  settings: KafkaMonitorSettings,
  log: Logger,
  opts: FeedWatchOptions,
): Promise<number> {
  const error = opts.error ?? opts.display.print.bind(opts.display);
  let crawl: WatchedCrawl;
  let redis: RedisClient;
  try {
    crawl = crawlOfRequest(text);
    redis = await connectRedis(settings, "kafka-monitor-feed");
  } catch (err) {
    error((err as Error).message);
    return 1;
  }
  try {
    try {
      await feed(text, settings, log);
    } catch (err) {
      error((err as Error).message);
      return 1;
    }
    opts.display.print(
      `Fed crawl ${crawl.crawlid} (app ${crawl.appid}); watching until nothing is pending for ` +
        `${opts.idleSec} s (Ctrl-C stops watching, not the crawl)`,
    );
    const summary = await watchCrawl({
      read: await progressReader(redis, crawl),
      idleSec: opts.idleSec,
      display: opts.display,
      signal: opts.signal,
      intervalMs: opts.intervalMs,
    });
    for (const line of summaryLines(summary, crawl.crawlid)) opts.display.print(line);
    opts.onSummary?.(summary);
    return 0;
  } finally {
    await closeRedis(redis);
  }
}

/** Reads one crawl's progress, with its rate over the last 5 s of readings. */
export async function progressReader(
  redis: RedisClient,
  crawl: WatchedCrawl,
): Promise<() => Promise<CrawlProgress>> {
  const layout = await openFrontierLayout(redis);
  const rates = new RateMeter(5_000);
  return async () => {
    const p: StoredProgress = await crawlProgress(
      redis,
      layout,
      crawl.spiderid,
      crawl.appid,
      crawl.crawlid,
    );
    const ratePerSec = rates.observe("done", p.done, p.at);
    return { done: p.done, errors: p.errors, refused: p.refused, pending: p.pending, ratePerSec };
  };
}
