/**
 * A buffered counter: components count events in memory (a Map update per event) and write the
 * sums now and then in one Redis pipeline through a {@linkcode StatsCollector}. A write that
 * fails loses nothing: its counts go back into the buffer, merged with what arrived meanwhile,
 * and the next flush writes them. Flushes run one at a time, each taking what the buffer holds
 * when it starts, so two overlapping flushes never write the same counts twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferedCounter } from "./counter.ts";
 *
 * const written: Record<string, number>[] = [];
 * const counter = new BufferedCounter((counts) => {
 *   written.push(Object.fromEntries(counts));
 *   return Promise.resolve();
 * });
 * counter.count("total");
 * counter.count("total", 2);
 * await counter.flush();
 * assert.deepEqual(written, [{ total: 3 }]);
 * ```
 *
 * @module
 */

import { StatsCollector } from "./collector.ts";
import { type RedisClient, redisReady } from "../services/redis.ts";
import { commandBatch } from "../services/redis_batch.ts";

/**
 * Writes one batch of counts taken at `nowMs`. It rejects only when nothing was written: the
 * counter then keeps the counts for the next flush.
 */
export type StatsWriter = (counts: ReadonlyMap<string, number>, nowMs: number) => Promise<void>;

/**
 * A {@linkcode StatsWriter} writing through `collector` to Redis in one pipeline (one per node
 * on Redis Cluster, see `commandBatch()`). While Redis is
 * not connected it rejects at once (the client would otherwise queue the write until it is).
 * A pipeline whose single commands fail (a key of the wrong type) counts as written: repeating
 * it would fail the same way, and the commands that did succeed would count twice.
 */
export function redisStatsWriter(redis: RedisClient, collector: StatsCollector): StatsWriter {
  let current = collector;
  return async (counts, nowMs) => {
    if (!redisReady(redis)) {
      throw new Error(`Cannot write stats: Redis is ${redis.status}`);
    }
    const pipeline = commandBatch(redis);
    for (const [name, n] of counts) current.increment(pipeline, name, nowMs, n);
    try {
      await pipeline.exec();
    } catch (err) {
      // The collector believes this write started new buckets (expiry, sweep of old fields):
      // a fresh one sends those again with the retry.
      current = new StatsCollector(current.component, current.windows, current.opts);
      throw err;
    }
  };
}

/** Options of {@linkcode BufferedCounter}. */
export interface BufferedCounterOptions {
  /**
   * Flush by itself every this many milliseconds; 0 flushes only when asked.
   * @default {0}
   */
  intervalMs?: number;
  /** Called with the error of a failed write (its counts are kept for the next flush). */
  onError?: (error: unknown) => void;
  /**
   * The clock handed to the writer.
   * @default {Date.now}
   */
  now?: () => number;
}

/** Counts events in memory and writes the sums with {@linkcode BufferedCounter.flush}. */
export class BufferedCounter {
  readonly #write: StatsWriter;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #now: () => number;
  #counts = new Map<string, number>();
  /** The flush running or last run; the next one starts after it. */
  #tail: Promise<boolean> = Promise.resolve(true);
  /** A flush waiting for the running one: later callers join it instead of queueing more. */
  #queued: Promise<boolean> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(write: StatsWriter, opts: BufferedCounterOptions = {}) {
    this.#write = write;
    this.#onError = opts.onError;
    this.#now = opts.now ?? Date.now;
    if (opts.intervalMs) this.#timer = setInterval(() => this.flush(), opts.intervalMs);
  }

  /** Adds `n` events of `name` (nothing when `n` ≤ 0). */
  count(name: string, n = 1): void {
    if (!(n > 0)) return;
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + n);
  }

  /** The counts not written yet. */
  pending(): Map<string, number> {
    return new Map(this.#counts);
  }

  /**
   * Writes everything counted before the call; resolves with false when the write failed (the
   * counts stay buffered). Never rejects.
   */
  flush(): Promise<boolean> {
    if (this.#queued !== null) return this.#queued;
    const next = this.#tail.then(() => {
      this.#queued = null;
      return this.#flushNow();
    });
    this.#queued = next;
    this.#tail = next;
    return next;
  }

  /** Stops the timer and writes what is left. */
  close(): Promise<boolean> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.flush();
  }

  async #flushNow(): Promise<boolean> {
    if (this.#counts.size === 0) return true;
    const counts = this.#counts;
    this.#counts = new Map();
    try {
      await this.#write(counts, this.#now());
      return true;
    } catch (err) {
      for (const [name, n] of counts) this.count(name, n);
      this.#onError?.(err);
      return false;
    }
  }
}
