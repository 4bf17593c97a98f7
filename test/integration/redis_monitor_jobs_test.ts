/**
 * redis-monitor jobs answered once per caller: two requests for one job, a request arriving
 * while the job is handled (compare-and-delete), and a lock lost while handling (abandoned).
 * Real Redis and Kafka; the monitor runs in process with test plugins where a race must be
 * forced at an exact point.
 */

import assert from "node:assert/strict";
import { ApiFixture } from "../api_fixture.ts";
import { eventually, randomName } from "../harness.ts";
import { getLog } from "../../lib/config/mod.ts";
import { BatchingProducer } from "../../lib/services/mod.ts";
import { actionKey, addJob, JOBS_INDEX_KEY, jobWaitersKey, lockKey } from "../../lib/api/mod.ts";
import { type JobEvent, runRedisMonitor } from "../../components/redis-monitor/monitor.ts";
import type { RedisMonitorPlugin } from "../../components/redis-monitor/plugin.ts";

const withApi = async (
  fn: (f: ApiFixture, spider: string) => Promise<void>,
  opts: { redisMonitors?: number } = {},
) => {
  const f = await ApiFixture.start(opts);
  try {
    await fn(f, randomName("link"));
  } finally {
    await f.close();
  }
};

/** Runs one redis-monitor with `plugin` until the returned stop() is called. */
async function runWith(f: ApiFixture, plugin: RedisMonitorPlugin, events: JobEvent[]) {
  const settings = f.redisMonitorSettings({ REDIS_LOCK_EXPIRATION: 2 });
  const producer = new BatchingProducer(f.kafka, settings);
  await producer.connect();
  const stop = new AbortController();
  const redis = f.redis.duplicate();
  const running = runRedisMonitor({
    settings,
    redis,
    plugins: [{ rank: 1, key: "test", plugin }],
    producer,
    log: getLog("redis-monitor", "test"),
    onJob: (e) => events.push(e),
  }, { signal: stop.signal });
  return async () => {
    stop.abort();
    await running;
    await producer.close();
    await redis.quit();
  };
}

/** Writes an info request as the kafka-monitor's ActionHandler does. */
async function requestInfo(f: ApiFixture, key: string, uuid: string) {
  const batch = f.redis.pipeline();
  addJob(batch, key, uuid, 0, { waiter: uuid });
  await batch.exec();
}

Deno.test("two info requests for one crawl get two answers, one per uuid", async () => {
  await withApi(async (f, spider) => {
    const key = actionKey("info", spider, "testapp", "crawl1");
    const info = (uuid: string) => ({
      action: "info",
      appid: "testapp",
      crawlid: "crawl1",
      uuid,
      spiderid: spider,
    });
    await f.feed(info("first-uuid"));
    await f.feed(info("second-uuid"));
    // Both are pending before any monitor runs: the second overwrote the first's uuid.
    await eventually(async () => (await f.redis.scard(jobWaitersKey(key))) === 2, {
      what: "both requests written",
    });
    assert.equal(await f.redis.get(key), "second-uuid");
    await f.startRedisMonitor();
    const first = await f.answer((a) => a.uuid === "first-uuid", "the first answer");
    const second = await f.answer((a) => a.uuid === "second-uuid", "the second answer");
    assert.equal(first.crawlid, "crawl1");
    assert.equal(second.crawlid, "crawl1");
    await eventually(async () => (await f.redis.exists(key, jobWaitersKey(key))) === 0, {
      what: "the job deleted",
    });
    assert.equal(await f.redis.zscore(JOBS_INDEX_KEY, key), null);
  }, { redisMonitors: 0 });
});

Deno.test("a request arriving while its job is handled is answered (compare-and-delete)", async () => {
  await withApi(async (f, spider) => {
    const key = actionKey("info", spider, "testapp", "crawl2");
    let calls = 0;
    const events: JobEvent[] = [];
    const plugin: RedisMonitorPlugin = {
      name: "RacyInfo",
      pattern: "info:*:*",
      async handle(_key, uuid, nowSec) {
        // A new request lands between the monitor's GET and its delete.
        if (calls++ === 0) await requestInfo(f, key, "late-uuid");
        return { uuid, appid: "testapp", server_time: Math.floor(nowSec), calls };
      },
    };
    await requestInfo(f, key, "early-uuid");
    const stop = await runWith(f, plugin, events);
    try {
      await f.answer((a) => a.uuid === "early-uuid", "the early answer");
      const late = await f.answer((a) => a.uuid === "late-uuid", "the late answer");
      assert.equal(late.calls, 2, "the late request was handled on a pass of its own");
      await eventually(async () => (await f.redis.exists(key, jobWaitersKey(key))) === 0, {
        what: "the job deleted",
      });
    } finally {
      await stop();
    }
    assert.equal(f.answers.filter((a) => a.uuid === "early-uuid").length, 1);
  }, { redisMonitors: 0 });
});

Deno.test("a monitor that loses its job lock publishes nothing and leaves the job", async () => {
  await withApi(async (f, spider) => {
    const key = actionKey("info", spider, "testapp", "crawl3");
    let calls = 0;
    const events: JobEvent[] = [];
    const plugin: RedisMonitorPlugin = {
      name: "LockStealer",
      pattern: "info:*:*",
      async handle(_key, uuid, nowSec) {
        // Another monitor took the lock meanwhile (ours expired during a long job).
        if (calls++ === 0) await f.redis.set(lockKey(key), "another-token", "PX", 300);
        return { uuid, appid: "testapp", server_time: Math.floor(nowSec), calls };
      },
    };
    await requestInfo(f, key, "lock-uuid");
    const stop = await runWith(f, plugin, events);
    try {
      await eventually(() => events.length > 0, { what: "a job event" });
      assert.equal(events[0].kind, "abandoned");
      // The other lock expires: the job is still there and is answered, once.
      const answer = await f.answer((a) => a.uuid === "lock-uuid", "the answer");
      assert.equal(answer.calls, 2, "the abandoned pass published nothing");
    } finally {
      await stop();
    }
    assert.equal(f.answers.filter((a) => a.uuid === "lock-uuid").length, 1);
  }, { redisMonitors: 0 });
});
