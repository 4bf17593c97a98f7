/**
 * The queue backlog gauges of one spider type, sampled every few seconds from what the frontier
 * already keeps: each shard's index of domains with pending requests (`ZRANGE`), the size of
 * those domains' queues (`ZCARD`, one pipeline) and the leases (`ZCARD`), over every queue
 * family. Never a key-space scan, and never on a scrape: a scrape reads the last sample.
 *
 * @module
 */

import { sleep } from "../async/mod.ts";
import { familiesOf, type FrontierLayout } from "../frontier/mod.ts";
import { commandBatch, type RedisClient } from "../services/mod.ts";
import { crawlerMetrics } from "./crawler_metrics.ts";
import type { Registry } from "./registry.ts";

/** One sample of a spider type's frontier. */
export interface BacklogSample {
  /** Requests pending in its queues. */
  requests: number;
  /** Domains with requests pending. */
  domains: number;
  /** Requests leased and not acknowledged. */
  leased: number;
}

/** Reads the backlog of `spiderid` over its families and shards. */
export async function sampleBacklog(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
): Promise<BacklogSample> {
  const families = await familiesOf(redis, spiderid);
  const sample: BacklogSample = { requests: 0, domains: 0, leased: 0 };
  for (const family of families) {
    for (const shard of layout.shards) {
      const domains = await redis.zrange(shard.index(family), "0", "-1");
      const batch = commandBatch(redis);
      batch.zcard(shard.leases(family));
      for (const domain of domains) batch.zcard(shard.queue(family, domain));
      const [leased, ...sizes] = (await batch.exec()) ?? [];
      sample.leased += Number(leased?.[1] ?? 0);
      for (const [err, size] of sizes) {
        const n = err ? 0 : Number(size);
        sample.requests += n;
        if (n > 0) sample.domains++;
      }
    }
  }
  return sample;
}

/**
 * Samples the backlog of `spiderid` into the gauges now and every `intervalMs` until `signal`
 * aborts; a failed sample keeps the last values (the Redis client reports outages itself).
 */
export async function runBacklogSampler(
  redis: RedisClient,
  layout: FrontierLayout,
  spiderid: string,
  opts: { intervalMs: number; signal: AbortSignal; registry?: Registry },
): Promise<void> {
  const m = crawlerMetrics(opts.registry);
  const gauges = {
    requests: m.backlog.labels(spiderid),
    domains: m.backlogDomains.labels(spiderid),
    leased: m.leased.labels(spiderid),
  };
  while (!opts.signal.aborted) {
    try {
      const sample = await sampleBacklog(redis, layout, spiderid);
      gauges.requests.set(sample.requests);
      gauges.domains.set(sample.domains);
      gauges.leased.set(sample.leased);
    } catch {
      // Kept: the last sample stands until Redis answers again.
    }
    await sleep(opts.intervalMs, opts.signal).catch(() => {});
  }
}
