import assert from "node:assert/strict";
import { eventually, randomName, testRedis } from "../harness.ts";
import { heartbeatKey, hostName, PROCESS_ID, startHeartbeat } from "../../lib/stats/mod.ts";

Deno.test("PROCESS_ID is 12 hex digits and hostName() has no ':'", () => {
  assert.match(PROCESS_ID, /^[0-9a-f]{12}$/);
  assert.ok(!hostName().includes(":"));
});

Deno.test("startHeartbeat() keeps the key alive with its TTL and deletes it on abort", async () => {
  const redis = testRedis();
  const key = heartbeatKey(randomName("component"), hostName(), PROCESS_ID);
  const controller = new AbortController();
  try {
    await startHeartbeat(redis, key, { ttlSec: 7, intervalMs: 50, signal: controller.signal });
    const value = Number(await redis.get(key));
    assert.ok(Math.abs(value - Date.now() / 1000) < 5);
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= 7, `ttl ${ttl}`);
    await redis.expire(key, 1);
    // The next beat restores the full TTL.
    await eventually(() => redis.ttl(key).then((t) => t > 1));
    controller.abort();
    await eventually(() => redis.exists(key).then((n) => n === 0));
  } finally {
    controller.abort();
    await redis.del(key);
    await redis.quit();
  }
});
