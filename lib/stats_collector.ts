/**
 * Rolling-window statistics in Scrapy Cluster's key layout: for each window length in
 * `STATS_TIMES` a sorted set `stats:<component>:<name>:<seconds>` with one member per event
 * (score = event time), trimmed by the writer's own clock, and a HyperLogLog
 * `stats:<component>:<name>:lifetime`. Increments are appended to a pipeline so a whole batch of
 * events costs one round trip.
 *
 * @module
 */

import type { ChainableCommander } from "ioredis";
import { statsKey } from "./keys.ts";

/** Scrapy Cluster's names for the window lengths of `STATS_TIMES`. */
export const STATS_TIME_SECONDS: Readonly<Record<string, number>> = Object.freeze({
  SECONDS_15_MINUTE: 900,
  SECONDS_1_HOUR: 3600,
  SECONDS_6_HOUR: 21600,
  SECONDS_12_HOUR: 43200,
  SECONDS_1_DAY: 86400,
  SECONDS_1_WEEK: 604800,
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

let sequence = 0;

/** Counts events of one component under names such as `total`, `fail` or a plugin class. */
export class StatsCollector {
  constructor(
    readonly component: string,
    readonly windows: readonly number[],
    readonly opts: { lifetime?: boolean } = {},
  ) {}

  /** Appends `count` events of `name` at `nowMs` to the pipeline. */
  increment(pipeline: ChainableCommander, name: string, nowMs = Date.now(), count = 1): void {
    const now = nowMs / 1000;
    for (const seconds of this.windows) {
      const key = statsKey(this.component, name, seconds);
      const args: (string | number)[] = [];
      for (let i = 0; i < count; i++) args.push(now, `${now}:${++sequence}:${Math.random()}`);
      pipeline.zadd(key, ...args);
      pipeline.zremrangebyscore(key, "-inf", `(${now - seconds}`);
      // Idle counters disappear on their own one window after the last event.
      pipeline.expire(key, seconds);
    }
    if (this.opts.lifetime !== false) {
      const members = Array.from({ length: count }, () => `${now}:${++sequence}:${Math.random()}`);
      pipeline.pfadd(statsKey(this.component, name, "lifetime"), ...members);
    }
  }
}
