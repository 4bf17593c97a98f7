/**
 * The rest service's counters for the Stats API (`{"stats": "rest"}`): `total` and `fail`
 * (answers with status ≥ 400), and one per endpoint (`index`, `feed`, `poll`), kept under
 * `stats:rest:<name>:<window>` like the monitors' counters. Requests are counted in memory and
 * written once a second in one pipeline ({@linkcode BufferedCounter}), so counting costs a
 * request nothing; counts Redis did not take are written with the next flush.
 *
 * @module
 */

import { BufferedCounter, redisStatsWriter, StatsCollector } from "../../lib/stats/mod.ts";
import type { RedisClient } from "../../lib/services/redis.ts";

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
  readonly #opts: RestStatsOptions;
  readonly #counter: BufferedCounter;

  constructor(redis: RedisClient, opts: RestStatsOptions) {
    this.#opts = opts;
    this.#counter = new BufferedCounter(
      redisStatsWriter(redis, new StatsCollector("rest", opts.windows)),
      { intervalMs: opts.flushMs ?? 1_000 },
    );
  }

  count(endpoint: string | null, failed: boolean): void {
    if (this.#opts.total) {
      this.#counter.count("total");
      if (failed) this.#counter.count("fail");
    }
    if (this.#opts.endpoints && endpoint !== null) this.#counter.count(endpoint);
  }

  /** Writes the counts gathered so far (kept for later while Redis is away). */
  async flush(): Promise<void> {
    await this.#counter.flush();
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    await this.#counter.close();
  }
}
