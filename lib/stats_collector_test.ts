import assert from "node:assert/strict";
import { deleteKeysContaining, randomName, testRedis } from "../test/harness.ts";
import { statsKey } from "./keys.ts";
import { StatsCollector, windowsFromNames } from "./stats_collector.ts";

Deno.test("windowsFromNames() maps Scrapy Cluster's names and reports unknown ones", () => {
  const unknown: string[] = [];
  assert.deepEqual(
    windowsFromNames(
      ["SECONDS_15_MINUTE", "SECONDS_1_WEEK", "BOGUS", "60"],
      (n) => unknown.push(n),
    ),
    [900, 604800, 60],
  );
  assert.deepEqual(unknown, ["BOGUS"]);
});

Deno.test("StatsCollector.increment() counts per window and trims old events", async () => {
  const redis = testRedis();
  const component = randomName("stats");
  const stats = new StatsCollector(component, [60, 3600]);
  try {
    const now = Date.now();
    let pipeline = redis.pipeline();
    stats.increment(pipeline, "total", now - 120_000, 3); // two minutes ago
    stats.increment(pipeline, "total", now, 2);
    await pipeline.exec();
    pipeline = redis.pipeline();
    stats.increment(pipeline, "total", now + 1); // trims the 60 s window by the writer's clock
    await pipeline.exec();
    assert.equal(await redis.zcard(statsKey(component, "total", 60)), 3);
    assert.equal(await redis.zcard(statsKey(component, "total", 3600)), 6);
    assert.equal(await redis.pfcount(statsKey(component, "total", "lifetime")), 6);
    assert.ok((await redis.ttl(statsKey(component, "total", 60))) <= 60);
  } finally {
    await deleteKeysContaining(redis, component);
    await redis.quit();
  }
});
