import assert from "node:assert/strict";
import {
  blacklistKey,
  type EnqueueEntry,
  enqueueRequests,
  FrontierLayout,
  queueKey,
  timeoutKey,
} from "../../lib/frontier/mod.ts";
import { ApiFixture } from "../api_fixture.ts";
import { eventually, randomName } from "../harness.ts";
import { Redis } from "ioredis";
import { BatchingProducer } from "../../lib/services/mod.ts";
import { getLog } from "../../lib/config/mod.ts";
import { type JobEvent, runRedisMonitor } from "../../components/redis-monitor/monitor.ts";
import { globToRegExp, loadPlugins } from "../../components/redis-monitor/plugin.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

/** Queues `n` requests of a crawl on `domain` with `priority`, as the frontier does. */
async function queue(
  f: ApiFixture,
  spider: string,
  crawl: { appid: string; crawlid: string; expires?: number },
  domain: string,
  n: number,
  priority: number,
) {
  const entries: EnqueueEntry[] = Array.from({ length: n }, (_, i) => ({
    fingerprint: null,
    spiderid: spider,
    domain,
    priority,
    member: JSON.stringify({
      url: `http://${domain}/${crawl.crawlid}/${i}`,
      appid: crawl.appid,
      crawlid: crawl.crawlid,
      spiderid: spider,
      priority,
    }),
  }));
  await enqueueRequests(f.redis, layout, {
    spiderid: spider,
    appid: crawl.appid,
    crawlid: crawl.crawlid,
    expires: crawl.expires ?? 0,
    dupefilterTtlSec: 600,
  }, entries);
}

const withApi = async (fn: (f: ApiFixture, spider: string) => Promise<void>, opts = {}) => {
  const f = await ApiFixture.start(opts);
  try {
    await fn(f, randomName("link"));
  } finally {
    await f.close();
  }
};

Deno.test("globToRegExp() follows Redis glob rules, '*' spanning ':'", () => {
  assert.ok(globToRegExp("info:*:*").test("info:link:app"));
  assert.ok(globToRegExp("info:*:*").test("info:link:app:crawl"));
  assert.ok(!globToRegExp("info:*:*").test("info:link"));
  assert.ok(globToRegExp("timeout:*:*:*").test("timeout:link:app:c1"));
  assert.ok(!globToRegExp("timeout:*:*:*").test("timeout:link:app"));
  assert.ok(globToRegExp("a?c[xy]\\*").test("abcy*"));
});

Deno.test("info for a crawl answers in Scrapy Cluster's shape", async () => {
  await withApi(async (f, spider) => {
    const crawl = { appid: "testapp", crawlid: "abc1234" };
    await queue(f, spider, crawl, "dmoz.org", 24, -9);
    await queue(f, spider, crawl, "twitter.com", 1, -9);
    await queue(f, spider, { appid: "testapp", crawlid: "other" }, "dmoz.org", 5, 1);
    await f.feed({
      action: "info",
      appid: "testapp",
      crawlid: "abc1234",
      uuid: "someuuid",
      spiderid: spider,
    });
    const answer = await f.answer((a) => a.uuid === "someuuid");
    assert.equal(typeof answer.server_time, "number");
    assert.deepEqual({ ...answer, server_time: 0 }, {
      server_time: 0,
      crawlid: "abc1234",
      total_pending: 25,
      total_domains: 2,
      spiderid: spider,
      appid: "testapp",
      domains: {
        "twitter.com": { low_priority: -9, high_priority: -9, total: 1 },
        "dmoz.org": { low_priority: -9, high_priority: -9, total: 24 },
      },
      uuid: "someuuid",
    });
  });
});

Deno.test("info for an application summarizes every crawl, with expiry", async () => {
  await withApi(async (f, spider) => {
    const expires = Math.floor(Date.now() / 1000) + 3600;
    await queue(f, spider, { appid: "testapp", crawlid: "ist234" }, "google.com", 1, -9);
    await queue(f, spider, { appid: "testapp", crawlid: "ist234" }, "twitter.com", 6, -9);
    await queue(f, spider, { appid: "testapp", crawlid: "ABC123" }, "ctvnews.ca", 2, -19);
    await queue(f, spider, { appid: "testapp", crawlid: "ABC123" }, "quora.com", 1, -29);
    await queue(f, spider, { appid: "testapp", crawlid: "ABC123" }, "quora.com", 1, -9);
    await queue(f, spider, { appid: "otherapp", crawlid: "zzz" }, "quora.com", 3, 1);
    await f.redis.set(timeoutKey(spider, "testapp", "ist234"), String(expires));
    await f.feed({ action: "info", appid: "testapp", uuid: "abc12333", spiderid: spider });
    const answer = await f.answer((a) => a.uuid === "abc12333");
    assert.deepEqual({ ...answer, server_time: 0 }, {
      server_time: 0,
      uuid: "abc12333",
      total_pending: 11,
      total_domains: 4,
      total_crawlids: 2,
      spiderid: spider,
      appid: "testapp",
      crawlids: {
        ist234: {
          domains: {
            "google.com": { low_priority: -9, high_priority: -9, total: 1 },
            "twitter.com": { low_priority: -9, high_priority: -9, total: 6 },
          },
          distinct_domains: 2,
          expires: String(expires),
          total: 7,
        },
        ABC123: {
          domains: {
            "ctvnews.ca": { low_priority: -19, high_priority: -19, total: 2 },
            "quora.com": { low_priority: -29, high_priority: -9, total: 2 },
          },
          distinct_domains: 2,
          total: 4,
        },
      },
    });
  });
});

Deno.test("stop purges exactly that crawl, blacklists it and answers total_purged", async () => {
  await withApi(async (f, spider) => {
    await queue(f, spider, { appid: "testapp", crawlid: "ist234" }, "a.com", 50, 1);
    await queue(f, spider, { appid: "testapp", crawlid: "ist234" }, "b.com", 40, -9);
    await queue(f, spider, { appid: "testapp", crawlid: "keep" }, "a.com", 7, 1);
    await f.redis.set(timeoutKey(spider, "testapp", "ist234"), "9999999999");
    await f.feed({
      action: "stop",
      appid: "testapp",
      crawlid: "ist234",
      uuid: "1ist234",
      spiderid: spider,
    });
    const answer = await f.answer((a) => a.uuid === "1ist234");
    assert.deepEqual({ ...answer, server_time: 0 }, {
      total_purged: 90,
      server_time: 0,
      crawlid: "ist234",
      uuid: "1ist234",
      spiderid: spider,
      appid: "testapp",
      action: "stop",
    });
    assert.equal(await f.redis.zcard(queueKey(spider, "a.com")), 7);
    assert.equal(await f.redis.exists(queueKey(spider, "b.com")), 0);
    assert.equal(await f.redis.sismember(blacklistKey(spider), "testapp||ist234"), 1);
    assert.equal(await f.redis.exists(timeoutKey(spider, "testapp", "ist234")), 0);
    // New requests of the stopped crawl are refused from now on.
    await queue(f, spider, { appid: "testapp", crawlid: "ist234" }, "c.com", 3, 1);
    assert.equal(await f.redis.exists(queueKey(spider, "c.com")), 0);
  });
});

Deno.test("a stop without crawlid is answered with an error", async () => {
  await withApi(async (f, spider) => {
    await f.feed({ action: "stop", appid: "testapp", uuid: "nocrawl", spiderid: spider });
    const answer = await f.answer((a) => a.uuid === "nocrawl");
    assert.equal(answer.error, "Stop requests need a crawlid and appid");
  });
});

Deno.test("an expiring crawl is purged when its time comes, with the expired notice", async () => {
  await withApi(async (f, spider) => {
    const expires = Math.floor(Date.now() / 1000) + 2;
    await f.feed({
      url: "http://expiring.com/",
      appid: "testapp",
      crawlid: "ist234",
      spiderid: spider,
      expires,
    });
    await eventually(() => f.redis.exists(queueKey(spider, "expiring.com")).then((n) => n === 1));
    await queue(f, spider, { appid: "testapp", crawlid: "ist234", expires }, "more.com", 83, -9);
    const answer = await f.answer((a) => a.action === "expired" && a.spiderid === spider);
    assert.ok(Date.now() / 1000 >= expires, "not before its time");
    assert.deepEqual({ ...answer, server_time: 0 }, {
      total_expired: 84,
      server_time: 0,
      crawlid: "ist234",
      spiderid: spider,
      appid: "testapp",
      action: "expired",
    });
    assert.equal(answer.uuid, undefined);
    assert.equal(await f.redis.exists(timeoutKey(spider, "testapp", "ist234")), 0);
  });
});

Deno.test("a crawl whose expires is already past is queued, then expired", async () => {
  await withApi(async (f, spider) => {
    // Scrapy Cluster accepts it, queues the seed and its ExpireMonitor purges it at once.
    const expires = Math.floor(Date.now() / 1000) - 60;
    await f.feed({
      url: "http://expired.com/",
      appid: "testapp",
      crawlid: "past1",
      spiderid: spider,
      expires,
    });
    const answer = await f.answer((a) => a.action === "expired" && a.spiderid === spider);
    assert.deepEqual({ ...answer, server_time: 0 }, {
      total_expired: 1,
      server_time: 0,
      crawlid: "past1",
      spiderid: spider,
      appid: "testapp",
      action: "expired",
    });
    assert.equal(await f.redis.exists(queueKey(spider, "expired.com")), 0);
    assert.equal(await f.redis.sismember(blacklistKey(spider), "testapp||past1"), 1);
    assert.equal(await f.redis.exists(timeoutKey(spider, "testapp", "past1")), 0);
  });
});

Deno.test("two redis-monitors racing on the same jobs answer each exactly once", async () => {
  await withApi(async (f, spider) => {
    const uuids = Array.from({ length: 30 }, (_, i) => `race-${i}`);
    for (const uuid of uuids) {
      await f.feed({ action: "info", appid: "testapp", crawlid: uuid, uuid, spiderid: spider });
    }
    await eventually(() => uuids.every((u) => f.answers.some((a) => a.uuid === u)), {
      what: "every answer",
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    const counts = uuids.map((u) => f.answers.filter((a) => a.uuid === u).length);
    assert.deepEqual(counts, uuids.map(() => 1));
  }, { redisMonitors: 2 });
});

Deno.test("a failing plugin is retried, then its job dropped, and the monitor lives on", async () => {
  await withApi(async (f, spider) => {
    await f.redis.set("failing:job1", "x");
    await f.redis.zadd("jobs:index", 0, "failing:job1");
    await eventually(
      () => f.jobEvents.some((e) => e.kind === "dropped" && e.key === "failing:job1"),
      {
        what: "the job dropped",
      },
    );
    assert.deepEqual(
      f.jobEvents.filter((e) => e.key === "failing:job1").map((e) => e.kind),
      ["retry", "retry", "dropped"],
    );
    assert.equal(await f.redis.exists("failing:job1"), 0);
    assert.equal(await f.redis.exists("lock:failing:job1:failures"), 0);
    // Still alive: the next job is answered.
    await f.feed({ action: "info", appid: "testapp", uuid: "after", spiderid: spider });
    await f.answer((a) => a.uuid === "after");
  }, {
    redisMonitor: {
      RETRY_FAILURES_MAX: 2,
      PLUGINS: { "components/redis-monitor/testdata/failing_monitor.ts": 50 },
    },
  });
});

Deno.test("bad job values and job keys written by other tools are handled", async () => {
  await withApi(async (f, spider) => {
    // Written without the index, as Scrapy Cluster's tools would: found by the periodic scan.
    await f.redis.set(`info:${spider}:testapp`, "unlisted");
    await f.answer((a) => a.uuid === "unlisted");
    // A job key of the wrong type and an expiry that is not a number: dropped after retries.
    await f.redis.rpush(`info:${spider}:listapp`, "x");
    await f.redis.zadd("jobs:index", 0, `info:${spider}:listapp`);
    await f.redis.set(timeoutKey(spider, "testapp", "garbage"), "not-a-time");
    await f.redis.zadd("jobs:index", 0, timeoutKey(spider, "testapp", "garbage"));
    await eventually(() => f.jobEvents.filter((e) => e.kind === "dropped").length === 2, {
      what: "both bad jobs dropped",
    });
    assert.equal(await f.redis.exists(`info:${spider}:listapp`), 0);
    await f.feed({ action: "info", appid: "testapp", uuid: "still-alive", spiderid: spider });
    await f.answer((a) => a.uuid === "still-alive");
  }, { redisMonitor: { RETRY_FAILURES_MAX: 1, JOB_SCAN_INTERVAL: 1 } });
});

Deno.test("an answer Kafka does not take is retried without spending the job's retries", async () => {
  await withApi(async (f, spider) => {
    const settings = f.redisMonitorSettings({ RETRY_FAILURES_MAX: 0 });
    const redis = new Redis(f.redisUrl);
    const producer = new BatchingProducer(f.kafka, settings);
    await producer.connect();
    let refusals = 2;
    const flaky = {
      send: (topic: string, value: string) =>
        refusals-- > 0 ? Promise.reject(new Error("broker away")) : producer.send(topic, value),
    };
    const events: JobEvent[] = [];
    const stop = new AbortController();
    const log = getLog("redis-monitor", "test");
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
    const running = runRedisMonitor(
      { settings, redis, plugins, producer: flaky, log, onJob: (e) => events.push(e) },
      { signal: stop.signal },
    );
    try {
      await f.feed({ action: "info", appid: "testapp", uuid: "late", spiderid: spider });
      await f.answer((a) => a.uuid === "late");
      assert.equal(refusals, -1, "published on the third try");
      assert.deepEqual(events.map((e) => e.kind), ["handled"]);
    } finally {
      stop.abort();
      await running;
      await producer.close();
      await redis.quit();
    }
  }, { redisMonitors: 0 });
});
