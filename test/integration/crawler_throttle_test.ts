/**
 * The cluster-wide throttle with real crawler processes, measured where it matters: at the
 * crawled site, from the arrival time of every request.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { enqueueRequests, FrontierLayout } from "../../lib/frontier/mod.ts";
import { requestFingerprint } from "../../lib/web/mod.ts";
import { scanKeys } from "../../lib/stats/mod.ts";
import { eventually, isolatedRedisUrl, randomName, serviceEnv } from "../harness.ts";
import { startComponent } from "../processes.ts";
import { fanOutRoutes, startTestSite, type TestSite } from "../site.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

const DB = 11;
const PAGES = 80;
/** Network and scheduling jitter between a pop in Redis and the request at the site. */
const JITTER_MS = 250;

function linkedSite(): Promise<TestSite> {
  return startTestSite({ routes: fanOutRoutes(PAGES) });
}

/** The most requests that arrived within any `spanMs` (sliding over the arrival times). */
function maxInAnyWindow(times: number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= spanMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Runs `crawlers` crawler processes with `env` over the site for `runMs`; returns arrivals. */
async function crawlThrottled(
  crawlers: Record<string, string>[],
  runMs: number,
): Promise<number[]> {
  const redis = new Redis(isolatedRedisUrl(DB));
  const site = await linkedSite();
  await redis.flushdb();
  const base = {
    ...serviceEnv(),
    REDIS_URL: isolatedRedisUrl(DB),
    KAFKA_TOPIC_PREFIX: randomName("throttle"),
    ZOOKEEPER_ASSIGN_PATH: `/crawl-cluster-test/${randomName("zk")}/`,
    IDLE_POLL_MS: "20",
    LOG_LEVEL: "WARNING",
    // The local test site is on 127.0.0.1.
    ALLOW_PRIVATE_ADDRESSES: "true",
  };
  const running = crawlers.map((env) => startComponent("crawler", ["run"], { ...base, ...env }));
  try {
    // Start timing once every crawler is up (its heartbeat is in Redis).
    await eventually(
      async () => (await scanKeys(redis, "stats:crawler:*")).length === crawlers.length,
      {
        what: "every crawler running",
        timeoutMs: 30_000,
      },
    );
    const seed = {
      url: site.url("/"),
      appid: "testapp",
      crawlid: randomName("c"),
      spiderid: "link",
      priority: 1,
      maxdepth: 1,
      expires: 0,
      attrs: null,
    };
    await enqueueRequests(redis, layout, {
      spiderid: "link",
      appid: "testapp",
      crawlid: seed.crawlid,
      expires: 0,
      dupefilterTtlSec: 60,
    }, [{
      fingerprint: requestFingerprint({ url: seed.url }),
      spiderid: "link",
      domain: "127.0.0.1",
      priority: 1,
      member: JSON.stringify(seed),
    }]);
    await new Promise((r) => setTimeout(r, runMs));
    return site.requests.map((r) => r.time);
  } finally {
    const codes = await Promise.all(running.map((c) => c.stop()));
    await site.close();
    await redis.flushdb();
    await redis.quit();
    assert.ok(codes.every((c) => c === 0), `crawlers exit 0: ${codes}`);
  }
}

const UNMODERATED = { QUEUE_HITS: "4", QUEUE_WINDOW: "3", QUEUE_MODERATED: "false" };

for (const n of [2, 4]) {
  Deno.test(`${n} crawler processes on one domain never exceed the budget in any window`, async () => {
    const times = await crawlThrottled(Array.from({ length: n }, () => UNMODERATED), 7_000);
    // Crawlers need a moment to start; afterwards the budget must be used, never exceeded.
    assert.ok(times.length >= 8, `the crawl progressed: ${times.length} requests`);
    const peak = maxInAnyWindow(times, 3_000 - JITTER_MS);
    assert.ok(peak <= 4, `at most 4 requests in any window, saw ${peak}`);
  });
}

Deno.test("moderated pops arrive evenly, window/hits apart", async () => {
  const times = await crawlThrottled(
    [{ QUEUE_HITS: "4", QUEUE_WINDOW: "2", QUEUE_MODERATED: "true" }],
    6_000,
  );
  const sorted = times.sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]);
  assert.ok(gaps.length >= 6, `${gaps.length} gaps`);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(mean - 500) <= 50, `mean gap ${mean} ms, want 500 ± 10%`);
  assert.ok(Math.min(...gaps) >= 500 - JITTER_MS, `min gap ${Math.min(...gaps)}`);
});

Deno.test("crawlers with different public IPs each get their own budget", async () => {
  const times = await crawlThrottled([
    { ...UNMODERATED, PUBLIC_IP: "192.0.2.1" },
    { ...UNMODERATED, PUBLIC_IP: "192.0.2.2" },
  ], 5_000);
  const peak = maxInAnyWindow(times, 3_000 - JITTER_MS);
  assert.ok(peak > 4 && peak <= 8, `two budgets of 4: peak ${peak}`);
});
