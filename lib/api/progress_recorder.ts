/**
 * The crawler's side of per-crawl progress (`progress.ts` reads it): each download is counted
 * in memory (a Map update, nothing on the hot path) and the sums go to Redis at most a second
 * later in one pipeline — one HINCRBY per crawl and outcome, one EXPIRE per application — so a
 * crawler doing hundreds of pages a second still writes a handful of commands a second. A
 * failed download is also remembered for the dashboard's "recent failures"
 * (`progress:failures`, the newest {@linkcode RECENT_FAILURES_KEPT} as JSON). A write that fails
 * keeps the counts for the next one.
 *
 * @example
 * ```ts ignore
 * const recorder = new ProgressRecorder(redis, { ttlSec: 600 });
 * recorder.record({ spiderid: "link", appid: "testapp", crawlid: "abc" }, "done");
 * await recorder.flush(); // also happens by itself a second after the first record
 * ```
 *
 * @module
 */

import type { RedisClient } from "../services/redis.ts";
import { commandBatch } from "../services/redis_batch.ts";
import { progressField, progressKey, type ProgressOutcome } from "./progress.ts";

/** The list of recent failed downloads, newest first (JSON {@linkcode RecentFailure}). */
export const RECENT_FAILURES_KEY = "progress:failures";

/** How many failures {@linkcode RECENT_FAILURES_KEY} keeps. */
export const RECENT_FAILURES_KEPT = 50;

/** One failed download, as the dashboard lists it. */
export interface RecentFailure {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly spiderid: string;
  readonly appid: string;
  readonly crawlid: string;
  readonly url: string;
  /** `HTTP 404`, or why no response came. */
  readonly reason: string;
}

/** The crawl a download belongs to. */
export interface CrawlIds {
  readonly spiderid: string;
  readonly appid: string;
  readonly crawlid: string;
}

/** Options of {@linkcode ProgressRecorder}. */
export interface ProgressRecorderOptions {
  /** How long an application's counters live after their last write (`DUPEFILTER_TIMEOUT`). */
  ttlSec: number;
  /** @default {1000} how long counts wait in memory before they are written */
  delayMs?: number;
  /** Called when a write fails (the counts are kept). */
  onError?: (error: unknown) => void;
}

/** Counts downloads per crawl and writes the sums now and then. */
export class ProgressRecorder {
  readonly #redis: RedisClient;
  readonly #opts: ProgressRecorderOptions;
  /** `<key>\n<field>` → count. */
  #counts = new Map<string, number>();
  #failures: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tail: Promise<boolean> = Promise.resolve(true);

  constructor(redis: RedisClient, opts: ProgressRecorderOptions) {
    this.#redis = redis;
    this.#opts = opts;
  }

  /** Counts one download of `crawl`; a failure (`errors`) with `failure` is also listed. */
  record(
    crawl: CrawlIds,
    outcome: ProgressOutcome,
    failure?: { url: string; reason: string },
  ): void {
    const name = `${progressKey(crawl.spiderid, crawl.appid)}\n${
      progressField(crawl.crawlid, outcome)
    }`;
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
    if (failure !== undefined) {
      const entry: RecentFailure = { time: Date.now(), ...crawl, ...failure };
      this.#failures.unshift(JSON.stringify(entry));
      this.#failures.length = Math.min(this.#failures.length, RECENT_FAILURES_KEPT);
    }
    // One timer at a time, none while idle: nothing to clear when the crawler stops.
    this.#timer ??= setTimeout(() => this.flush(), this.#opts.delayMs ?? 1000);
  }

  /** Writes what was recorded; resolves false when Redis did not take it (kept). */
  flush(): Promise<boolean> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#tail = this.#tail.then(() => this.#write());
    return this.#tail;
  }

  async #write(): Promise<boolean> {
    if (this.#counts.size === 0 && this.#failures.length === 0) return true;
    const counts = this.#counts;
    const failures = this.#failures;
    this.#counts = new Map();
    this.#failures = [];
    const batch = commandBatch(this.#redis);
    const keys = new Set<string>();
    for (const [name, n] of counts) {
      const [key, field] = name.split("\n");
      batch.hincrby(key, field, n);
      keys.add(key);
    }
    for (const key of keys) batch.expire(key, this.#opts.ttlSec);
    if (failures.length > 0) {
      // Oldest first, so the newest ends at the head.
      batch.lpush(RECENT_FAILURES_KEY, ...[...failures].reverse());
      batch.ltrim(RECENT_FAILURES_KEY, 0, RECENT_FAILURES_KEPT - 1);
      batch.expire(RECENT_FAILURES_KEY, 86_400);
    }
    try {
      await batch.exec();
      return true;
    } catch (err) {
      for (const [name, n] of counts) this.#counts.set(name, (this.#counts.get(name) ?? 0) + n);
      this.#failures = [...this.#failures, ...failures].slice(0, RECENT_FAILURES_KEPT);
      this.#opts.onError?.(err);
      return false;
    }
  }
}
