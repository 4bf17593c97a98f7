import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { serviceEnv } from "../harness.ts";
import {
  componentStats,
  crawlerHeartbeatKey,
  crawlerStats,
  heartbeatKey,
  machineStats,
  queueStats,
  readStatsKeys,
  scanKeys,
  spiderStats,
  StatsCollector,
  statsKey,
  statValue,
  windowCount,
} from "../../lib/stats/mod.ts";
import { queueIndexKey, queueKey } from "../../lib/frontier/mod.ts";

/**
 * The readers scan global patterns (`stats:crawler:*`), so these tests own a separate database,
 * emptied before each test, instead of sharing database 0 with the other test files.
 */
async function withDb(fn: (redis: Redis) => Promise<void>): Promise<void> {
  const url = new URL(serviceEnv().REDIS_URL);
  url.pathname = "/9";
  const redis = new Redis(url.toString());
  try {
    await redis.flushdb();
    await fn(redis);
  } finally {
    await redis.flushdb();
    await redis.quit();
  }
}

const NOW = 1_700_000_000;

/** Seeds stats keys the way StatsCollector writes them: `n` events in a recent bucket. */
async function seed(redis: Redis, keys: readonly string[], n = 5): Promise<void> {
  const pipeline = redis.pipeline();
  for (const key of keys) {
    if (key.endsWith(":lifetime")) pipeline.set(key, n);
    else if (/:\d+$/.test(key)) pipeline.hset(key, String(NOW - 30), n);
    else pipeline.set(key, NOW); // heartbeat: epoch seconds
  }
  await pipeline.exec();
}

Deno.test("`windowCount()` ignores buckets older than the window", () => {
  const hash = { [NOW - 61]: "4", [NOW - 60]: "2", [NOW - 1]: "1", [NOW]: "3" };
  assert.equal(windowCount(hash, 60, NOW), 6); // the bucket starting at now − 60 counts
  assert.equal(windowCount(hash, 60, NOW + 0.5), 4);
  assert.equal(windowCount(hash, 3600, NOW), 10);
  assert.equal(windowCount(hash, 1, NOW + 100), 0);
});

Deno.test("`windowCount()` counts buckets ahead of the clock and skips junk", () => {
  assert.equal(windowCount({}, 60, NOW), 0);
  assert.equal(windowCount({ [NOW + 15]: "2", x: "9", [NOW]: "y" }, 60, NOW), 2);
});

Deno.test("`readStatsKeys()` reads windows and lifetimes in one pipeline", async () => {
  await withDb(async (redis) => {
    await redis.hset("stats:c:total:60", String(NOW - 120), 7, String(NOW - 10), 2);
    await redis.hset("stats:c:old:60", String(NOW - 120), 7);
    await redis.set("stats:c:total:lifetime", 9);
    await redis.set("stats:c:total:900", "not a hash");
    await redis.set("stats:c:total:other", 1);
    const values = await readStatsKeys(redis, [
      "stats:c:total:60",
      "stats:c:old:60",
      "stats:c:total:lifetime",
      "stats:c:total:900",
      "stats:c:total:other",
      "stats:c:missing:3600",
      "stats:c:missing:lifetime",
    ], NOW);
    assert.deepEqual(
      [...values],
      [["stats:c:total:60", 2], ["stats:c:total:lifetime", 9]],
    );
    assert.equal(await statValue(redis, "stats:c:total:60", NOW), 2);
    assert.equal(await statValue(redis, "stats:c:missing:60", NOW), 0);
  });
});

Deno.test("`scanKeys()` finds every match without KEYS or duplicates", async () => {
  await withDb(async (redis) => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.set(`stats:scan:${i}`, 1);
    pipeline.set("other:1", 1);
    await pipeline.exec();
    const keys = await scanKeys(redis, "stats:scan:*", 100);
    assert.equal(keys.length, 2500);
    assert.equal(new Set(keys).size, 2500);
  });
});

Deno.test("`componentStats()` has Scrapy Cluster's _get_plugin_stats shape", async () => {
  await withDb(async (redis) => {
    await seed(redis, [
      "stats:kafka-monitor:total:3600",
      "stats:kafka-monitor:total:lifetime",
      "stats:kafka-monitor:pluginX:86400",
      "stats:kafka-monitor:pluginX:lifetime",
      "stats:kafka-monitor:fail:3600",
      "stats:kafka-monitor:fail:68000",
      heartbeatKey("kafka-monitor", "host1", "bbbbbbbbbbbb"),
      heartbeatKey("kafka-monitor", "host1", "aaaaaaaaaaaa"),
      heartbeatKey("kafka-monitor", "host2", "cccccccccccc"),
      "stats:redis-monitor:total:900",
    ]);
    await redis.hset("stats:kafka-monitor:pluginY:60", String(NOW - 3600), 5); // all stale
    assert.deepEqual(await componentStats(redis, "kafka-monitor", NOW), {
      plugins: { pluginX: { lifetime: 5, "86400": 5 } },
      total: { lifetime: 5, "3600": 5 },
      fail: { "68000": 5, "3600": 5 },
      nodes: { host1: ["aaaaaaaaaaaa", "bbbbbbbbbbbb"], host2: ["cccccccccccc"] },
    });
    assert.deepEqual(await componentStats(redis, "rest", NOW), {});
  });
});

const SPIDER_KEYS = [
  "stats:crawler:host1:link:200:3600",
  "stats:crawler:host2:link:200:lifetime",
  "stats:crawler:host1:link:504:86400",
  "stats:crawler:host3:link:200:86400",
  "stats:crawler:host2:link:ABCDEF",
  "stats:crawler:host3:link:ABCDEF",
  "stats:crawler:host1:link:123345",
  "stats:crawler:host2:other:403:lifetime",
  "stats:crawler:host1:other:200:3600",
  "stats:crawler:host2:other:ABCDEF1",
];

Deno.test("`spiderStats()` counts spiders and crawlers like Scrapy Cluster", async () => {
  await withDb(async (redis) => {
    await seed(redis, SPIDER_KEYS);
    assert.deepEqual(await spiderStats(redis, NOW), {
      spiders: {
        unique_spider_count: 2,
        total_spider_count: 4,
        other: { count: 1, "200": { "3600": 5 }, "403": { lifetime: 5 } },
        link: { count: 3, "200": { lifetime: 5, "86400": 5, "3600": 5 }, "504": { "86400": 5 } },
      },
    });
  });
});

Deno.test("`spiderStats()` sums hosts and lists spiders without live crawlers", async () => {
  await withDb(async (redis) => {
    await seed(redis, [
      "stats:crawler:host1:link:200:900",
      "stats:crawler:host2:link:200:900",
      "stats:crawler:host2:link:fail:lifetime",
    ]);
    assert.deepEqual(await spiderStats(redis, NOW), {
      spiders: {
        unique_spider_count: 0,
        total_spider_count: 0,
        link: { count: 0, "200": { "900": 10 }, fail: { lifetime: 5 } },
      },
    });
  });
});

Deno.test("`machineStats()` sums per host across spiders", async () => {
  await withDb(async (redis) => {
    await seed(redis, [
      "stats:crawler:host1:link:200:3600",
      "stats:crawler:host2:link:200:lifetime",
      "stats:crawler:host1:link:504:86400",
      "stats:crawler:host2:other:403:lifetime",
      "stats:crawler:host3:link:200:86400",
      "stats:crawler:host1:other:200:3600",
      "stats:crawler:host4:link:abcdef123456", // a heartbeat: not a machine stat
    ]);
    assert.deepEqual(await machineStats(redis, NOW), {
      machines: {
        count: 3,
        host1: { "200": { "3600": 10 }, "504": { "86400": 5 } },
        host2: { "200": { lifetime: 5 }, "403": { lifetime: 5 } },
        host3: { "200": { "86400": 5 } },
      },
    });
  });
});

/** Seeds queues through the per-spider index, the way the frontier writes them. */
async function seedQueues(redis: Redis, queues: Record<string, [string, number][]>) {
  const pipeline = redis.pipeline();
  for (const [spider, domains] of Object.entries(queues)) {
    domains.forEach(([domain, backlog], i) => {
      pipeline.zadd(queueIndexKey(spider), i, domain);
      for (let n = 0; n < backlog; n++) pipeline.zadd(queueKey(spider, domain), n, `req-${n}`);
    });
  }
  await pipeline.exec();
}

Deno.test("`queueStats()` reports the backlog per spider and domain from the index", async () => {
  await withDb(async (redis) => {
    await seedQueues(redis, {
      link: [["istresearch.com", 5], ["yellowpages.com", 10], ["cnn.com", 11], ["empty.com", 0]],
      wandering: [["dmoztools.net", 1], ["craigslist.org", 3]],
    });
    await redis.zadd(queueKey("unindexed", "x.com"), 0, "r"); // not found: no key-space scan
    const link = {
      spider_backlog: 26,
      num_domains: 3,
      domains: [
        { domain: "istresearch.com", backlog: 5 },
        { domain: "yellowpages.com", backlog: 10 },
        { domain: "cnn.com", backlog: 11 },
      ],
    };
    assert.deepEqual(await queueStats(redis), {
      queues: {
        total_backlog: 30,
        queue_link: link,
        queue_wandering: {
          spider_backlog: 4,
          num_domains: 2,
          domains: [
            { domain: "dmoztools.net", backlog: 1 },
            { domain: "craigslist.org", backlog: 3 },
          ],
        },
      },
    });
    assert.deepEqual(await queueStats(redis, ["link", "nothing"]), {
      queues: { total_backlog: 26, queue_link: link },
    });
    await redis.flushdb();
    assert.deepEqual(await queueStats(redis), { queues: { total_backlog: 0 } });
  });
});

Deno.test("`crawlerStats()` reads what the crawler's StatsCollector writes", async () => {
  await withDb(async (redis) => {
    const stats = new StatsCollector("crawler", [900, 3600]);
    const pipeline = redis.pipeline();
    stats.increment(pipeline, "h1:link:200", (NOW - 1000) * 1000, 4); // outside 900 s
    stats.increment(pipeline, "h1:link:200", (NOW - 10) * 1000, 2);
    stats.increment(pipeline, "h2:link:fail", (NOW - 10) * 1000);
    await pipeline.exec();
    await redis.set(crawlerHeartbeatKey("h1", "link", "0123456789ab"), NOW);
    await seedQueues(redis, { link: [["example.com", 2]] });
    assert.equal(await redis.type(statsKey("crawler", "h1:link:200", 900)), "hash");
    assert.deepEqual(await crawlerStats(redis, NOW), {
      spiders: {
        unique_spider_count: 1,
        total_spider_count: 1,
        link: {
          count: 1,
          "200": { "900": 2, "3600": 6, lifetime: 6 },
          fail: { "900": 1, "3600": 1, lifetime: 1 },
        },
      },
      machines: {
        count: 2,
        h1: { "200": { "900": 2, "3600": 6, lifetime: 6 } },
        h2: { fail: { "900": 1, "3600": 1, lifetime: 1 } },
      },
      queue: {
        total_backlog: 2,
        queue_link: {
          spider_backlog: 2,
          num_domains: 1,
          domains: [{ domain: "example.com", backlog: 2 }],
        },
      },
    });
  });
});
