import assert from "node:assert/strict";
import { deleteKeysContaining, randomName, testRedis } from "../test/harness.ts";
import { queueIndexKey, queueKey } from "./keys.ts";
import {
  indexedDomains,
  popRequests,
  priorityFromScore,
  pushRequests,
  pushRequestsInPipeline,
  queueSize,
} from "./redis_queue.ts";
import { registerScripts } from "./lua.ts";

Deno.test("priorityFromScore() inverts the push script's score for any priority", () => {
  for (const priority of [100, 1, 0, -9, -10, -1000]) {
    for (const seq of [1, 2 ** 35, 2 ** 36 - 1]) {
      assert.equal(priorityFromScore(-priority * 2 ** 36 + seq), priority);
    }
  }
});

Deno.test("popRequests() gives higher priority first and FIFO among equal priorities", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  try {
    // Members chosen so lexicographic order (Scrapy Cluster's tie-break) would be reversed.
    await pushRequests(redis, spider, "ex.com", [
      { priority: 1, member: "z-first" },
      { priority: 1, member: "y-second" },
      { priority: 5, member: "m-high" },
      { priority: -9, member: "a-low" },
      { priority: 1, member: "x-third" },
    ]);
    const popped = await popRequests(redis, spider, "ex.com", 10);
    assert.deepEqual(popped.map((p) => p.member), [
      "m-high",
      "z-first",
      "y-second",
      "x-third",
      "a-low",
    ]);
    assert.deepEqual(popped.map((p) => p.priority), [5, 1, 1, 1, -9]);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});

Deno.test("pushRequests() indexes the domain and popRequests() unindexes it when empty", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  try {
    assert.equal(await pushRequests(redis, spider, "a.com", [{ priority: 1, member: "1" }]), 1);
    await pushRequests(redis, spider, "b.com", [{ priority: 1, member: "2" }, {
      priority: 1,
      member: "3",
    }]);
    assert.deepEqual((await indexedDomains(redis, spider)).sort(), ["a.com", "b.com"]);
    assert.equal(await queueSize(redis, spider, "b.com"), 2);
    await popRequests(redis, spider, "a.com");
    assert.deepEqual(await indexedDomains(redis, spider), ["b.com"]);
    assert.equal(await redis.exists(queueKey(spider, "a.com")), 0);
    assert.deepEqual(await popRequests(redis, spider, "a.com"), []);
    await popRequests(redis, spider, "b.com", 5);
    assert.equal(await redis.exists(queueIndexKey(spider)), 0);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});

Deno.test("pushRequestsInPipeline() writes many domains in one round trip", async () => {
  const redis = testRedis();
  registerScripts(redis);
  const spider = randomName("spider");
  try {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 50; i++) {
      pushRequestsInPipeline(pipeline, spider, `d${i}.com`, [{ priority: 1, member: `m${i}` }]);
    }
    const results = await pipeline.exec();
    assert.equal(results?.length, 50);
    assert.ok(results?.every(([err, added]) => err === null && added === 1));
    assert.equal((await indexedDomains(redis, spider)).length, 50);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});

Deno.test("pushRequests() clamps extreme priorities instead of losing order precision", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  try {
    await pushRequests(redis, spider, "ex.com", [
      { priority: 1e9, member: "huge" },
      { priority: -1e9, member: "tiny" },
      { priority: 99_999, member: "big" },
    ]);
    const popped = await popRequests(redis, spider, "ex.com", 3);
    assert.deepEqual(popped.map((p) => [p.member, p.priority]), [
      ["huge", 100_000],
      ["big", 99_999],
      ["tiny", -100_000],
    ]);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});
