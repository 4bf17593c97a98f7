/**
 * Statistics counters in Scrapy Cluster's key layout, cheap enough to bump on every crawled page
 * and without a thread or timer per counter: every write takes the caller's clock, and old data
 * is dropped by the writes themselves and by key expiry.
 *
 * The cluster's own counters ({@linkcode StatsCollector}) keep Scrapy Cluster's key names,
 * `stats:<component>:<name>:<seconds>` and `stats:<component>:<name>:lifetime`, with two changes
 * of representation:
 *
 * - **Rolling windows are hashes of buckets**, not a sorted set with one member per event (a
 *   one-week window at 1,500 events/s would hold about 900M members). Each window has 60
 *   buckets of `ceil(seconds / 60)` s; the field is the bucket start in epoch seconds, the value
 *   the number of events in it (HINCRBY). The key expires `seconds` + one bucket after the first
 *   write of the newest bucket, and whenever a writer starts a new bucket it HDELs the fields
 *   that fell out of the window (known from the field names, so no HKEYS round trip). The count
 *   of a window is thus exact to one bucket: see `windowCount()` in `stats_reader.ts`.
 * - **`lifetime` is a plain integer** (INCRBY): exact, where Scrapy Cluster's HyperLogLog of
 *   event timestamps was approximate.
 *
 * The Stats API answers (ZCARD/PFCOUNT in Scrapy Cluster) are computed by `stats_reader.ts`.
 *
 * The other Scrapy Cluster counter kinds ({@linkcode TimeWindowCounter}, {@linkcode Counter},
 * {@linkcode UniqueCounter}, {@linkcode HyperLogLogCounter}, {@linkcode BitMapCounter}) exist
 * for completeness and custom plugins. When rolling, each window of `windowSec` gets its own key
 * suffixed with its UTC start (`key:2015-09-19_13:59:36`); `purgeOld()` keeps the newest ones.
 *
 * @example
 * ```ts ignore
 * const stats = new StatsCollector("kafka-monitor", [900, 3600]);
 * const pipeline = commandBatch(redis); // a pipeline, or single commands on Redis Cluster
 * stats.increment(pipeline, "total");
 * await pipeline.exec();
 * ```
 *
 * @module
 */

import type { ChainableCommander } from "ioredis";
import { statsKey } from "./keys.ts";
import { type RedisClient, scanKeys } from "../services/redis.ts";
import { deleteKeys } from "../services/redis_batch.ts";

/** Scrapy Cluster's names for window lengths (`STATS_TIMES`), in seconds. */
export const STATS_TIME_SECONDS: Readonly<Record<string, number>> = Object.freeze({
  SECONDS_1_MINUTE: 60,
  SECONDS_15_MINUTE: 900,
  SECONDS_30_MINUTE: 1800,
  SECONDS_1_HOUR: 3600,
  SECONDS_2_HOUR: 7200,
  SECONDS_4_HOUR: 14400,
  SECONDS_6_HOUR: 21600,
  SECONDS_12_HOUR: 43200,
  SECONDS_24_HOUR: 86400,
  SECONDS_48_HOUR: 172800,
  SECONDS_1_DAY: 86400,
  SECONDS_2_DAY: 172800,
  SECONDS_3_DAY: 259200,
  SECONDS_7_DAY: 604800,
  SECONDS_1_WEEK: 604800,
  SECONDS_30_DAY: 2592000,
});

/** Window lengths for `STATS_TIMES`; unknown names are reported and skipped. */
export function windowsFromNames(
  names: readonly string[],
  onUnknown?: (name: string) => void,
): number[] {
  const out: number[] = [];
  for (const name of names) {
    const seconds = STATS_TIME_SECONDS[name] ?? (/^\d+$/.test(name) ? Number(name) : undefined);
    if (seconds === undefined || seconds <= 0) onUnknown?.(name);
    else out.push(seconds);
  }
  return out;
}

/** Buckets per rolling window. */
export const BUCKETS_PER_WINDOW = 60;

/** The bucket width of a rolling window: `ceil(seconds / 60)` seconds. */
export function bucketWidth(windowSec: number): number {
  return Math.ceil(windowSec / BUCKETS_PER_WINDOW);
}

interface _Entry {
  keys: string[];
  lifetime: string;
  /** Per window: the bucket this process last wrote, -1 = none yet, and its field name. */
  last: number[];
  fields: string[];
}

/** Counts events of one component under names such as `total`, `fail` or a plugin class. */
export class StatsCollector {
  readonly #entries = new Map<string, _Entry>();
  readonly #widths: number[];

  constructor(
    readonly component: string,
    readonly windows: readonly number[],
    readonly opts: { lifetime?: boolean } = {},
  ) {
    this.#widths = windows.map(bucketWidth);
  }

  /** Appends `count` events of `name` at `nowMs` to the pipeline (nothing when `count` ≤ 0). */
  increment(pipeline: ChainableCommander, name: string, nowMs = Date.now(), count = 1): void {
    if (!(count > 0)) return;
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      entry = {
        keys: this.windows.map((seconds) => statsKey(this.component, name, seconds)),
        lifetime: statsKey(this.component, name, "lifetime"),
        last: this.windows.map(() => -1),
        fields: this.windows.map(() => ""),
      };
      this.#entries.set(name, entry);
    }
    const nowSec = Math.floor(nowMs / 1000);
    for (let i = 0; i < this.windows.length; i++) {
      const width = this.#widths[i];
      const bucket = nowSec - (nowSec % width);
      const key = entry.keys[i];
      const last = entry.last[i];
      if (bucket === last) {
        pipeline.hincrby(key, entry.fields[i], count);
        continue;
      }
      // First write of a new bucket: sweep what fell out of the window, refresh the expiry.
      entry.last[i] = bucket;
      entry.fields[i] = String(bucket);
      pipeline.hincrby(key, entry.fields[i], count);
      const stale = _staleFields(this.windows[i], width, last, bucket);
      if (stale.length > 0) pipeline.hdel(key, ...stale);
      pipeline.expire(key, this.windows[i] + width);
    }
    if (this.opts.lifetime !== false) pipeline.incrby(entry.lifetime, count);
  }
}

/**
 * Fields that left the window between bucket `last` (-1: unknown) and `bucket`: multiples of
 * `width` in [last − window, bucket − window), at most one window's worth.
 */
function _staleFields(windowSec: number, width: number, last: number, bucket: number): string[] {
  const end = bucket - windowSec;
  const floor = end - BUCKETS_PER_WINDOW * width;
  const from = last < 0 ? floor : Math.max(floor, last - windowSec);
  const out: string[] = [];
  for (let f = Math.ceil(from / width) * width; f < end; f += width) {
    if (f >= 0) out.push(String(f));
  }
  return out;
}

/** The date suffix of a rolled key: the UTC window start as `YYYY-MM-DD_HH:MM:SS`. */
export function rollingKeySuffix(startSec: number): string {
  return new Date(startSec * 1000).toISOString().slice(0, 19).replace("T", "_");
}

const _SUFFIX = /^\d{4}-\d{2}-\d{2}_\d{2}:\d{2}:\d{2}$/;

/** Options of the date-keyed counters. */
export interface CounterOptions {
  /** Window length in seconds. @default 3600 */
  windowSec?: number;
  /** Move to a new key suffixed with the window start every window. @default true */
  roll?: boolean;
  /**
   * Start of a window, epoch seconds; windows are `[start + k·window, start + (k+1)·window)`.
   * @default floor(now / window) · window (now = construction time without roll)
   */
  startSec?: number;
  /** How many dated keys `purgeOld()` keeps. @default 12 */
  keepMax?: number;
}

/** Shared key handling of the date-keyed counters. */
abstract class _DatedCounter {
  readonly windowSec: number;
  readonly roll: boolean;
  readonly startSec: number;
  readonly keepMax: number;

  constructor(readonly key: string, opts: CounterOptions = {}) {
    this.windowSec = opts.windowSec ?? STATS_TIME_SECONDS.SECONDS_1_HOUR;
    this.roll = opts.roll ?? true;
    this.keepMax = opts.keepMax ?? 12;
    const nowSec = Math.floor(Date.now() / 1000);
    this.startSec = opts.startSec ?? (this.roll ? 0 : nowSec - (nowSec % this.windowSec));
  }

  /** Start of the window holding `nowMs` (epoch seconds). */
  windowStart(nowMs = Date.now()): number {
    const elapsed = Math.floor(nowMs / 1000) - this.startSec;
    return this.startSec + Math.floor(elapsed / this.windowSec) * this.windowSec;
  }

  /** The key counting at `nowMs`: `key`, or `key:<window start>` when rolling. */
  keyAt(nowMs = Date.now()): string {
    return this.roll ? `${this.key}:${rollingKeySuffix(this.windowStart(nowMs))}` : this.key;
  }

  /** Deletes all but the newest `keepMax` dated keys of this counter; resolves with how many. */
  async purgeOld(redis: RedisClient, keepMax = this.keepMax): Promise<number> {
    const pattern = `${this.key.replace(/[*?[\]\\]/g, "\\$&")}:*`;
    const dated: string[] = [];
    for await (const found of scanKeys(redis, pattern)) {
      for (const k of found) if (_SUFFIX.test(k.slice(this.key.length + 1))) dated.push(k);
    }
    const old = [...new Set(dated)].sort().reverse().slice(Math.max(0, keepMax));
    return await deleteKeys(redis, old);
  }
}

/**
 * Counts events inside the window `[start, start + window)` (Scrapy Cluster's TimeWindow):
 * when rolling every event lands in its window's key; without roll, events outside the one
 * window are ignored. Stored as an integer (INCRBY), not one sorted-set member per event.
 */
export class TimeWindowCounter extends _DatedCounter {
  /** Appends `count` events at `nowMs`. */
  increment(pipeline: ChainableCommander, nowMs = Date.now(), count = 1): void {
    const nowSec = Math.floor(nowMs / 1000);
    if (!this.roll && (nowSec < this.startSec || nowSec >= this.startSec + this.windowSec)) return;
    pipeline.incrby(this.keyAt(nowMs), count);
  }

  /** Events of the window holding `nowMs`. */
  async value(redis: RedisClient, nowMs = Date.now()): Promise<number> {
    return Number(await redis.get(this.keyAt(nowMs)) ?? 0);
  }
}

/** A plain integer counter (INCRBY), optionally starting at `startAt` in every new key. */
export class Counter extends _DatedCounter {
  readonly startAt: number;
  #initialised = "";

  constructor(key: string, opts: CounterOptions & { /** @default 0 */ startAt?: number } = {}) {
    super(key, opts);
    this.startAt = opts.startAt ?? 0;
  }

  /** Appends an increment by `count` at `nowMs`. */
  increment(pipeline: ChainableCommander, nowMs = Date.now(), count = 1): void {
    const key = this.keyAt(nowMs);
    if (this.startAt !== 0 && this.#initialised !== key) {
      pipeline.set(key, this.startAt, "NX");
      this.#initialised = key;
    }
    pipeline.incrby(key, count);
  }

  /** The counter at `nowMs`. */
  async value(redis: RedisClient, nowMs = Date.now()): Promise<number> {
    return Number(await redis.get(this.keyAt(nowMs)) ?? 0);
  }
}

/** Counts distinct items exactly (SADD / SCARD). */
export class UniqueCounter extends _DatedCounter {
  /** Appends the item (counted once per key). */
  increment(pipeline: ChainableCommander, item: string, nowMs = Date.now()): void {
    pipeline.sadd(this.keyAt(nowMs), item);
  }

  /** Distinct items at `nowMs`. */
  value(redis: RedisClient, nowMs = Date.now()): Promise<number> {
    return redis.scard(this.keyAt(nowMs));
  }
}

/** Counts distinct items approximately in 12 KB (PFADD / PFCOUNT). */
export class HyperLogLogCounter extends _DatedCounter {
  /** Appends the item (counted once per key, approximately). */
  increment(pipeline: ChainableCommander, item: string, nowMs = Date.now()): void {
    pipeline.pfadd(this.keyAt(nowMs), item);
  }

  /** Approximate distinct items at `nowMs`. */
  value(redis: RedisClient, nowMs = Date.now()): Promise<number> {
    return redis.pfcount(this.keyAt(nowMs));
  }
}

/** Sets bits of numbered items (SETBIT 1 / BITCOUNT). */
export class BitMapCounter extends _DatedCounter {
  /** Appends setting bit `index`. */
  increment(pipeline: ChainableCommander, index: number, nowMs = Date.now()): void {
    pipeline.setbit(this.keyAt(nowMs), index, 1);
  }

  /** Bits set at `nowMs`. */
  value(redis: RedisClient, nowMs = Date.now()): Promise<number> {
    return redis.bitcount(this.keyAt(nowMs));
  }
}
