import assert from "node:assert/strict";
import { deleteKeysContaining, randomName, testRedis } from "../harness.ts";
import {
  BitMapCounter,
  bucketWidth,
  Counter,
  HyperLogLogCounter,
  rollingKeySuffix,
  STATS_TIME_SECONDS,
  StatsCollector,
  statsKey,
  TimeWindowCounter,
  UniqueCounter,
  windowCount,
  windowsFromNames,
} from "../../lib/stats/mod.ts";
import type { Redis } from "ioredis";

/** A Redis client and a random name, with the name's keys deleted afterwards. */
async function withRedis(fn: (redis: Redis, name: string) => Promise<void>): Promise<void> {
  const redis = testRedis();
  const name = randomName("stats");
  try {
    await fn(redis, name);
  } finally {
    await deleteKeysContaining(redis, name);
    await redis.quit();
  }
}

/** A time aligned to a whole week, a little in the past. */
const T = Math.floor(Date.now() / 1000 / 604800) * 604800 - 604800;

Deno.test("`windowsFromNames()` maps Scrapy Cluster's names and reports unknown ones", () => {
  const unknown: string[] = [];
  assert.deepEqual(
    windowsFromNames(
      ["SECONDS_15_MINUTE", "SECONDS_1_WEEK", "BOGUS", "60", "SECONDS_30_DAY"],
      (n) => unknown.push(n),
    ),
    [900, 604800, 60, 2592000],
  );
  assert.deepEqual(unknown, ["BOGUS"]);
});

Deno.test("`STATS_TIME_SECONDS` holds all of Scrapy Cluster's constants", () => {
  assert.deepEqual(
    Object.entries(STATS_TIME_SECONDS).map(([k, v]) => `${k.slice(8)}=${v}`),
    [
      "1_MINUTE=60",
      "15_MINUTE=900",
      "30_MINUTE=1800",
      "1_HOUR=3600",
      "2_HOUR=7200",
      "4_HOUR=14400",
      "6_HOUR=21600",
      "12_HOUR=43200",
      "24_HOUR=86400",
      "48_HOUR=172800",
      "1_DAY=86400",
      "2_DAY=172800",
      "3_DAY=259200",
      "7_DAY=604800",
      "1_WEEK=604800",
      "30_DAY=2592000",
    ],
  );
});

Deno.test("`bucketWidth()` gives 60 buckets per window", () => {
  assert.deepEqual([60, 900, 1000, 3600, 604800].map(bucketWidth), [1, 15, 17, 60, 10080]);
});

Deno.test("`StatsCollector.increment()` writes buckets of a hash and an exact lifetime", async () => {
  await withRedis(async (redis, component) => {
    const stats = new StatsCollector(component, [900]);
    const pipeline = redis.pipeline();
    stats.increment(pipeline, "total", T * 1000, 2);
    stats.increment(pipeline, "total", (T + 14) * 1000 + 999); // same 15 s bucket
    stats.increment(pipeline, "total", (T + 15) * 1000); // next bucket
    for (let i = 0; i < 1000; i++) stats.increment(pipeline, "total", (T + 20) * 1000, 3);
    await pipeline.exec();
    const key = statsKey(component, "total", 900);
    assert.deepEqual(await redis.hgetall(key), {
      [T]: "3",
      [T + 15]: "3001",
    });
    assert.equal(await redis.get(statsKey(component, "total", "lifetime")), "3004");
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 900 && ttl <= 915, `ttl ${ttl}`);
  });
});

Deno.test("`StatsCollector.increment()` counts across bucket boundaries by the injected clock", async () => {
  await withRedis(async (redis, component) => {
    const stats = new StatsCollector(component, [60, 900]);
    const at = async (sec: number, count = 1) => {
      const pipeline = redis.pipeline();
      stats.increment(pipeline, "fail", sec * 1000, count);
      await pipeline.exec();
    };
    await at(T - 120, 3); // two minutes ago
    await at(T - 30, 2);
    await at(T);
    const w60 = await redis.hgetall(statsKey(component, "fail", 60));
    const w900 = await redis.hgetall(statsKey(component, "fail", 900));
    assert.equal(windowCount(w60, 60, T), 3);
    assert.equal(windowCount(w900, 900, T), 6);
    // The writer swept the bucket that fell out of the 60 s window when a new one started.
    assert.deepEqual(Object.keys(w60).map(Number).sort(), [T - 30, T]);
    // Half a minute later only the last event remains; after 15 minutes nothing.
    assert.equal(windowCount(w60, 60, T + 30), 3);
    assert.equal(windowCount(w60, 60, T + 31), 1);
    assert.equal(windowCount(w900, 900, T + 780), 6);
    assert.equal(windowCount(w900, 900, T + 781), 3);
    assert.equal(windowCount(w900, 900, T + 901), 0);
    assert.ok((await redis.ttl(statsKey(component, "fail", 60))) <= 61);
    assert.equal(await redis.get(statsKey(component, "fail", "lifetime")), "6");
  });
});

Deno.test("`StatsCollector.increment()` sweeps and sets the expiry once per key and bucket", () => {
  const stats = new StatsCollector("x", [60, 3600]);
  const commands: string[] = [];
  const record = (name: string) => (...args: unknown[]) =>
    commands.push(`${name} ${args.join(" ")}`);
  const pipeline = {
    hincrby: record("hincrby"),
    hdel: record("hdel"),
    expire: record("expire"),
    incrby: record("incrby"),
  } as unknown as Parameters<StatsCollector["increment"]>[0];
  stats.increment(pipeline, "total", T * 1000);
  commands.length = 0;
  for (let i = 0; i < 10; i++) stats.increment(pipeline, "total", T * 1000 + i * 100);
  assert.equal(commands.filter((c) => !c.startsWith("hincrby")).length, 10); // incrby only
  commands.length = 0;
  stats.increment(pipeline, "total", (T + 1) * 1000);
  assert.deepEqual(commands, [
    `hincrby stats:x:total:60 ${T + 1} 1`,
    `hdel stats:x:total:60 ${T - 60}`, // the one field that left the window
    "expire stats:x:total:60 61",
    `hincrby stats:x:total:3600 ${T} 1`,
    "incrby stats:x:total:lifetime 1",
  ]);
});

Deno.test("`StatsCollector.increment()` ignores counts below one and can skip lifetime", async () => {
  await withRedis(async (redis, component) => {
    const stats = new StatsCollector(component, [60], { lifetime: false });
    const pipeline = redis.pipeline();
    stats.increment(pipeline, "total", T * 1000, 0);
    assert.equal(pipeline.length, 0);
    stats.increment(pipeline, "total", T * 1000);
    await pipeline.exec();
    assert.equal(await redis.exists(statsKey(component, "total", "lifetime")), 0);
    assert.equal(await redis.hget(statsKey(component, "total", 60), String(T)), "1");
  });
});

Deno.test("`rollingKeySuffix()` formats the UTC window start", () => {
  assert.equal(rollingKeySuffix(1442671176), "2015-09-19_13:59:36");
  assert.equal(rollingKeySuffix(0), "1970-01-01_00:00:00");
});

Deno.test("`TimeWindowCounter` counts only events inside its window", async () => {
  await withRedis(async (redis, name) => {
    const fixed = new TimeWindowCounter(`${name}:fixed`, {
      windowSec: 60,
      roll: false,
      startSec: T,
    });
    const rolled = new TimeWindowCounter(`${name}:rolled`, { windowSec: 60 });
    const pipeline = redis.pipeline();
    for (const sec of [T - 1, T, T + 30, T + 59, T + 60]) {
      fixed.increment(pipeline, sec * 1000);
      rolled.increment(pipeline, sec * 1000);
    }
    await pipeline.exec();
    assert.equal(fixed.keyAt(), `${name}:fixed`);
    assert.equal(await fixed.value(redis), 3);
    assert.equal(rolled.keyAt(T * 1000 + 59_999), `${name}:rolled:${rollingKeySuffix(T)}`);
    assert.equal(await rolled.value(redis, (T - 1) * 1000), 1);
    assert.equal(await rolled.value(redis, (T + 30) * 1000), 3);
    assert.equal(await rolled.value(redis, (T + 60) * 1000), 1);
  });
});

Deno.test("`Counter` rolls to a dated key and starts at startAt", async () => {
  await withRedis(async (redis, name) => {
    const counter = new Counter(name, { windowSec: 3600, startAt: 10 });
    const pipeline = redis.pipeline();
    counter.increment(pipeline, T * 1000);
    counter.increment(pipeline, (T + 3599) * 1000, 4);
    counter.increment(pipeline, (T + 3600) * 1000);
    await pipeline.exec();
    assert.equal(await counter.value(redis, T * 1000), 15);
    assert.equal(await redis.get(`${name}:${rollingKeySuffix(T + 3600)}`), "11");
    assert.equal(await counter.value(redis, (T + 7200) * 1000), 0);
    const plain = new Counter(`${name}:plain`, { roll: false });
    const again = redis.pipeline();
    plain.increment(again);
    plain.increment(again, Date.now(), 2);
    await again.exec();
    assert.equal(await plain.value(redis), 3);
  });
});

Deno.test("`UniqueCounter`, `HyperLogLogCounter` and `BitMapCounter` count distinct items", async () => {
  await withRedis(async (redis, name) => {
    const unique = new UniqueCounter(`${name}:set`, { windowSec: 60 });
    const hll = new HyperLogLogCounter(`${name}:hll`, { windowSec: 60 });
    const bits = new BitMapCounter(`${name}:bits`, { roll: false });
    const pipeline = redis.pipeline();
    for (const item of ["a", "b", "a", "c", "b"]) {
      unique.increment(pipeline, item, T * 1000);
      hll.increment(pipeline, item, T * 1000);
    }
    unique.increment(pipeline, "a", (T + 60) * 1000);
    for (const index of [0, 7, 7, 100]) bits.increment(pipeline, index);
    await pipeline.exec();
    assert.equal(await unique.value(redis, T * 1000), 3);
    assert.equal(await unique.value(redis, (T + 60) * 1000), 1);
    assert.equal(await hll.value(redis, T * 1000), 3);
    assert.equal(await bits.value(redis), 3);
    assert.equal(await redis.type(`${name}:set:${rollingKeySuffix(T)}`), "set");
  });
});

Deno.test("`Counter.purgeOld()` keeps the newest dated keys and nothing else goes", async () => {
  await withRedis(async (redis, name) => {
    const counter = new Counter(name, { windowSec: 60, keepMax: 3 });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 6; i++) counter.increment(pipeline, (T + 60 * i) * 1000);
    pipeline.set(`${name}:unrelated`, "1");
    pipeline.set(name, "1");
    await pipeline.exec();
    assert.equal(await counter.purgeOld(redis), 3);
    const left = [];
    for (let i = 0; i < 6; i++) left.push(await redis.exists(counter.keyAt((T + 60 * i) * 1000)));
    assert.deepEqual(left, [0, 0, 0, 1, 1, 1]);
    assert.equal(await redis.exists(`${name}:unrelated`, name), 2);
    assert.equal(await counter.purgeOld(redis, 1), 2);
    assert.equal(await counter.value(redis, (T + 300) * 1000), 1);
  });
});
