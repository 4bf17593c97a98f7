/**
 * The rest service's counters for the Stats API (`{"stats": "rest"}`): `total` and `fail`
 * (answers with status ≥ 400), and one per endpoint (`index`, `feed`, `poll`), kept under
 * `stats:rest:<name>:<window>` like the monitors' counters. Requests are counted in memory and
 * written once a second in one pipeline, so counting costs a request nothing.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { StatsCollector } from "../../lib/stats/collector.ts";

/** Counts answered requests. */
export interface RequestCounter {
  /** One answered request: its endpoint (null for an unknown path) and whether it failed. */
  count(endpoint: string | null, failed: boolean): void;
}

/** Options of {@linkcode RestStats}. */
export interface RestStatsOptions {
  /** Rolling windows in seconds (from STATS_TIMES). */
  windows: readonly number[];
  /** Count `total` and `fail` (STATS_TOTAL). */
  total: boolean;
  /** Count per endpoint (STATS_PLUGINS). */
  endpoints: boolean;
  /** @default {1000} */
  flushMs?: number;
}

/** A {@linkcode RequestCounter} writing to Redis. */
export class RestStats implements RequestCounter {
  readonly #redis: Redis;
  readonly #collector: StatsCollector;
  readonly #opts: RestStatsOptions;
  #counts = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(redis: Redis, opts: RestStatsOptions) {
    this.#redis = redis;
    this.#opts = opts;
    this.#collector = new StatsCollector("rest", opts.windows);
    this.#timer = setInterval(() => this.flush(), opts.flushMs ?? 1_000);
  }

  count(endpoint: string | null, failed: boolean): void {
    if (this.#opts.total) {
      this.#add("total");
      if (failed) this.#add("fail");
    }
    if (this.#opts.endpoints && endpoint !== null) this.#add(endpoint);
  }

  /** Writes the counts gathered so far (kept for later while Redis is away). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#counts.size === 0 || this.#redis.status !== "ready") return;
      const counts = this.#counts;
      this.#counts = new Map();
      const pipeline = this.#redis.pipeline();
      const now = Date.now();
      for (const [name, n] of counts) this.#collector.increment(pipeline, name, now, n);
      try {
        await pipeline.exec();
      } catch {
        for (const [name, n] of counts) this.#add(name, n);
      }
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #add(name: string, n = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + n);
  }
}
