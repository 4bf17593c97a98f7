import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { deleteKeysContaining, randomName, serviceEnv, testRedis } from "../harness.ts";
import {
  BufferedCounter,
  redisStatsWriter,
  StatsCollector,
  statsKey,
} from "../../lib/stats/mod.ts";

Deno.test("a `BufferedCounter` writes the counts Redis did not take once it is connected", async () => {
  const redis = testRedis();
  // Not connected yet: the first flush cannot write.
  const away = new Redis(serviceEnv().REDIS_URL, { lazyConnect: true });
  const name = randomName("counter");
  try {
    const errors: unknown[] = [];
    const counter = new BufferedCounter(
      redisStatsWriter(away, new StatsCollector("test", [60])),
      { onError: (e) => errors.push(e) },
    );
    counter.count(name, 3);
    assert.equal(await counter.flush(), false);
    assert.equal(errors.length, 1);
    counter.count(name);
    await away.connect();
    assert.equal(await counter.flush(), true);
    assert.equal(await redis.get(statsKey("test", name, "lifetime")), "4");
    const window = await redis.hgetall(statsKey("test", name, 60));
    assert.deepEqual(Object.values(window), ["4"]);
    assert.ok(await redis.ttl(statsKey("test", name, 60)) > 0, "the window expires");
  } finally {
    away.disconnect();
    await deleteKeysContaining(redis, name);
    await redis.quit();
  }
});
