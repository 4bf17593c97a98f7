/**
 * Redis-side benchmarks, each against a baseline measured in the same run:
 *
 * - info on a 1,000,000-request backlog over 1,000 domains, answered from the backlog counters,
 *   against Scrapy Cluster's way (scan and decode every queued request);
 * - stats increments per second (bucketed rolling windows + lifetime counter, 6 windows),
 *   against one sorted-set member per event (Scrapy Cluster's RollingTimeWindow);
 * - throttled pops per second with 1 and with 1,000 ready domains, and the most hits observed in
 *   any window against the configured budget.
 *
 * @module
 */

import { Redis } from "ioredis";
import {
  enqueueRequests,
  FrontierLayout,
  popLeased,
  queueKey,
  type ThrottleSpec,
} from "../../lib/frontier/mod.ts";
import { StatsCollector } from "../../lib/stats/mod.ts";
import infoMonitor from "../../components/redis-monitor/plugins/info_monitor.ts";
import { getLog } from "../../lib/config/mod.ts";
import type { RedisMonitorSettings } from "../../components/redis-monitor/settings.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

/** The figures of {@linkcode frontierBench}. */
export interface FrontierFigures {
  backlog: number;
  domains: number;
  fillSec: number;
  infoMs: number;
  scanInfoMs: number;
  statsIncrementsPerSec: number;
  zsetIncrementsPerSec: number;
  popsPerSec1Domain: number;
  popsPerSec1000Domains: number;
  budget: { hits: number; windowSec: number; maxObservedInWindow: number };
}

const SPIDER = "benchlink";

function dbUrl(redisUrl: string, db: number): string {
  const url = new URL(redisUrl);
  url.pathname = `/${db}`;
  return url.href;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs every Redis-side benchmark on database 13 of `redisUrl` (flushed before and after). */
export async function frontierBench(
  redisUrl: string,
  opts: { backlog?: number; domains?: number; say?: (line: string) => void } = {},
): Promise<FrontierFigures> {
  const say = opts.say ?? (() => {});
  const backlog = opts.backlog ?? 1_000_000;
  const domains = opts.domains ?? 1_000;
  const redis = new Redis(dbUrl(redisUrl, 13));
  await redis.flushdb();
  try {
    // --- info on a big backlog -------------------------------------------------------------
    say(`filling a backlog of ${backlog} requests over ${domains} domains`);
    const fillSec = await timeIt(async () => {
      const perCall = 2_000;
      for (let done = 0; done < backlog; done += perCall) {
        const entries = Array.from({ length: Math.min(perCall, backlog - done) }, (_, j) => {
          const i = done + j;
          const domain = `d${i % domains}.com`;
          const crawlid = `c${i % 7}`;
          return {
            fingerprint: null,
            spiderid: SPIDER,
            domain,
            priority: 1 - 10 * (i % 3),
            member:
              `{"url":"http://${domain}/${i}","appid":"benchapp","crawlid":"${crawlid}","spiderid":"${SPIDER}"}`,
          };
        });
        await enqueueRequests(redis, layout, {
          spiderid: SPIDER,
          appid: "benchapp",
          crawlid: "c0",
          expires: 0,
          dupefilterTtlSec: 600,
        }, entries);
      }
    }) / 1000;
    const plugin = await infoMonitor({
      settings: {} as RedisMonitorSettings,
      redis,
      log: getLog("bench"),
    });
    const infoMs = await timeIt(() =>
      plugin.handle(`info:${SPIDER}:benchapp`, "u1", Date.now() / 1000)
    );
    say(`info answered in ${infoMs.toFixed(1)} ms; now the scan Scrapy Cluster does`);
    const scanInfoMs = await timeIt(async () => {
      const found = new Map<string, number>();
      for (let d = 0; d < domains; d++) {
        let cursor = "0";
        do {
          const [next, flat] = await redis.zscan(
            queueKey(SPIDER, `d${d}.com`),
            cursor,
            "COUNT",
            2000,
          );
          cursor = next;
          for (let i = 0; i < flat.length; i += 2) {
            const req = JSON.parse(flat[i]);
            if (req.appid === "benchapp") found.set(req.crawlid, (found.get(req.crawlid) ?? 0) + 1);
          }
        } while (cursor !== "0");
      }
    });
    await redis.flushdb();

    // --- stats increments ------------------------------------------------------------------
    const windows = [900, 3600, 21600, 43200, 86400, 604800];
    const stats = new StatsCollector("bench", windows);
    const perSecond = async (add: (p: ReturnType<Redis["pipeline"]>) => void) => {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 2_000) {
        const p = redis.pipeline();
        for (let i = 0; i < 100; i++) add(p);
        await p.exec();
        n += 100;
      }
      return n / ((performance.now() - t0) / 1000);
    };
    const statsIncrementsPerSec = await perSecond((p) => stats.increment(p, "total"));
    let seq = 0;
    const zsetIncrementsPerSec = await perSecond((p) => {
      const now = Date.now() / 1000;
      for (const w of windows) {
        p.zadd(`bench:zset:${w}`, now, `${now}:${++seq}`);
        p.zremrangebyscore(`bench:zset:${w}`, "-inf", now - w);
      }
      p.pfadd("bench:zset:lifetime", `${now}:${seq}`);
    });
    await redis.flushdb();

    // --- throttled pops --------------------------------------------------------------------
    const fill = async (n: number, domainCount: number) => {
      for (let d = 0; d < domainCount; d++) {
        await enqueueRequests(
          redis,
          layout,
          {
            spiderid: SPIDER,
            appid: "benchapp",
            crawlid: "t",
            expires: 0,
            dupefilterTtlSec: 600,
          },
          Array.from({ length: Math.ceil(n / domainCount) }, (_, i) => ({
            fingerprint: null,
            spiderid: SPIDER,
            domain: `t${d}.com`,
            priority: 1,
            member: `{"appid":"benchapp","crawlid":"t","i":${i}}`,
          })),
        );
      }
    };
    const generous: ThrottleSpec = {
      enabled: true,
      windowSec: 60,
      hits: 1e9,
      moderated: false,
      keyPrefix: `${SPIDER}:`,
      scheduleAhead: true,
      domains: {},
      blocked: [],
    };
    const popRate = async (domainCount: number) => {
      await fill(20_000, domainCount);
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 2_000) {
        const { leases } = await popLeased(redis, layout, SPIDER, {
          max: 1,
          leaseMs: 60_000,
          throttle: generous,
        });
        if (leases.length === 0) break;
        n += 1;
      }
      const rate = n / ((performance.now() - t0) / 1000);
      await redis.flushdb();
      return rate;
    };
    const popsPerSec1Domain = await popRate(1);
    const popsPerSec1000Domains = await popRate(1_000);

    // Budget: hammer one domain with pops for 3.5 s; count recorded hits per window.
    const budget = { hits: 50, windowSec: 1 };
    await fill(5_000, 1);
    const tight = { ...generous, hits: budget.hits, windowSec: budget.windowSec };
    const hitTimes: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 3_500) {
      const { leases } = await popLeased(redis, layout, SPIDER, {
        max: 10,
        leaseMs: 60_000,
        throttle: tight,
      });
      const now = performance.now();
      for (let i = 0; i < leases.length; i++) hitTimes.push(now);
      if (leases.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    let maxObservedInWindow = 0;
    for (let i = 0, j = 0; j < hitTimes.length; j++) {
      while (hitTimes[j] - hitTimes[i] >= budget.windowSec * 1000) i++;
      maxObservedInWindow = Math.max(maxObservedInWindow, j - i + 1);
    }
    return {
      backlog,
      domains,
      fillSec,
      infoMs,
      scanInfoMs,
      statsIncrementsPerSec,
      zsetIncrementsPerSec,
      popsPerSec1Domain,
      popsPerSec1000Domains,
      budget: { ...budget, maxObservedInWindow },
    };
  } finally {
    await redis.flushdb();
    await redis.quit();
  }
}

/** The report lines. */
export function formatFrontier(f: FrontierFigures): string {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  return [
    `info on ${f.backlog} queued requests over ${f.domains} domains: ${f.infoMs.toFixed(1)} ms ` +
    `(Scrapy Cluster's full scan: ${f.scanInfoMs.toFixed(0)} ms, ${
      ratio(f.scanInfoMs, f.infoMs)
    } slower; fill ${f.fillSec.toFixed(1)} s)`,
    `stats increments/s (6 windows + lifetime): ${f.statsIncrementsPerSec.toFixed(0)} ` +
    `(sorted set per event: ${f.zsetIncrementsPerSec.toFixed(0)}, ${
      ratio(f.statsIncrementsPerSec, f.zsetIncrementsPerSec)
    })`,
    `throttled pops/s, one per round trip: 1 ready domain ${f.popsPerSec1Domain.toFixed(0)}, ` +
    `1,000 ready domains ${f.popsPerSec1000Domains.toFixed(0)}`,
    `budget ${f.budget.hits} hits / ${f.budget.windowSec} s: most hits seen in any window ` +
    `${f.budget.maxObservedInWindow}`,
  ].join("\n");
}
