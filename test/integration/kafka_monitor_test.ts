import assert from "node:assert/strict";
import { log, settingsFor, withFixture } from "../kafka_monitor_fixture.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
import { createKafka, ensureTopics, produceOnce } from "../../lib/services/mod.ts";
import { queueIndexKey, queueKey, timeoutKey } from "../../lib/frontier/mod.ts";
import { StatsCollector, statsKey, statValue } from "../../lib/stats/mod.ts";
import { decodeStoredRequest } from "../../lib/api/mod.ts";
import { deleteKeysContaining, eventually, randomName, testRedis } from "../harness.ts";
import {
  type Outcome,
  processMessages,
  runKafkaMonitor,
} from "../../components/kafka-monitor/monitor.ts";

Deno.test("processMessages() stores a crawl request compact; it decodes with every default", async () => {
  await withFixture(async ({ redis, spider, process, stats }) => {
    const request = {
      url: "http://www.example.com/page",
      appid: "testapp",
      crawlid: "abc123",
      spiderid: spider,
    };
    const outcomes = await process([JSON.stringify(request)]);
    assert.deepEqual(outcomes, [{ status: "handled", plugin: "ScraperHandler" }]);
    const members = await redis.zrange(queueKey(spider, "example.com"), "0", "-1");
    assert.equal(members.length, 1);
    // Stored without the schema defaults (lib/api/compact_request.ts), stamped with `ts`.
    const { ts, ...compact } = JSON.parse(members[0]);
    assert.equal(typeof ts, "number");
    assert.deepEqual(compact, request);
    const stored = decodeStoredRequest(members[0])!;
    delete stored.ts;
    assert.deepEqual(stored, {
      ...request,
      priority: 1,
      maxdepth: 0,
      domain_max_pages: null,
      allowed_domains: null,
      allow_regex: null,
      deny_regex: null,
      deny_extensions: null,
      expires: 0,
      useragent: null,
      cookie: null,
      attrs: null,
    });
    assert.deepEqual(await redis.zrange(queueIndexKey(spider), "0", "-1"), ["example.com"]);
    assert.equal(await redis.exists(timeoutKey(spider, "testapp", "abc123")), 0);
    assert.equal(await statValue(redis, statsKey(stats.component, "total", 900)), 1);
    assert.equal(await statValue(redis, statsKey(stats.component, "ScraperHandler", 900)), 1);
    assert.equal(await redis.exists(statsKey(stats.component, "fail", 900)), 0);
  });
});

Deno.test("processMessages() writes the timeout key for expires", async () => {
  await withFixture(async ({ redis, spider, process }) => {
    const expires = Math.floor(Date.now() / 1000) + 3600;
    await process([JSON.stringify({
      url: "https://sub.example.co.uk/",
      appid: "testapp",
      crawlid: "c2",
      spiderid: spider,
      expires,
      priority: 50,
    })]);
    assert.equal(await redis.get(timeoutKey(spider, "testapp", "c2")), String(expires));
    assert.equal(await redis.zcard(queueKey(spider, "example.co.uk")), 1);
  });
});

Deno.test("processMessages() records seeds in the crawl's dupefilter", async () => {
  await withFixture(async ({ redis, spider, process }) => {
    const seed = {
      url: "http://example.com/a?y=2&x=1",
      appid: "testapp",
      crawlid: "d1",
      spiderid: spider,
    };
    const same = { ...seed, url: "http://EXAMPLE.com/a?x=1&y=2#top", priority: 9 };
    await process([JSON.stringify(seed), JSON.stringify(same)]);
    assert.equal(await redis.zcard(queueKey(spider, "example.com")), 1);
    assert.equal(await redis.scard(`${spider}:dupefilter:d1`), 1);
    await process([JSON.stringify({ ...seed, crawlid: "d2" })]);
    assert.equal(await redis.zcard(queueKey(spider, "example.com")), 2, "another crawl may");
  });
});

Deno.test("processMessages() counts bad input as failures and writes nothing for it", async () => {
  await withFixture(async ({ redis, spider, process, stats }) => {
    const good = { url: "http://example.com", appid: "testapp", crawlid: "c1", spiderid: spider };
    const bad: (string | null)[] = [
      "{not json",
      "",
      null,
      "[1,2,3]",
      '"just a string"',
      JSON.stringify({ ...good, priority: "high" }), // wrong type
      JSON.stringify({ url: "http://example.com", appid: "testapp", spiderid: spider }), // missing
      JSON.stringify({ ...good, color: "blue" }), // unknown field
      JSON.stringify({ ...good, crawlid: "a:b" }), // ':' inside an id
      JSON.stringify({ ...good, appid: "app*" }), // '*' inside an id
      JSON.stringify({ ...good, priority: 101 }), // over the limit
      JSON.stringify({ ...good, maxdepth: 4 }), // over MAXDEPTH_LIMIT
      JSON.stringify({ ...good, attrs: { blob: "x".repeat(1024 * 1024) } }), // 1 MB payload
      JSON.stringify({ ...good, url: "http://" }), // no host
      JSON.stringify({ ...good, allow_regex: ["(unclosed"] }),
      JSON.stringify({ ...good, crawlid: "\ud800" }) + "\u0000", // odd unicode, trailing NUL
      JSON.stringify({ action: "info", appid: "testapp", uuid: "u1" }), // no spiderid
      JSON.stringify({ action: "pause", appid: "testapp", uuid: "u1", spiderid: spider }),
      JSON.stringify({ appid: "testapp", uuid: "u1", stats: "everything" }),
      JSON.stringify({ uuid: "z", appid: "testapp", action: "domain-update", domain: spider }), // no hits
      JSON.stringify({
        uuid: "z",
        appid: "testapp",
        action: "domain-update",
        domain: "a",
        hits: 1,
        window: 1,
        scale: 2,
      }),
    ];
    const outcomes = await process(bad);
    assert.equal(outcomes.length, bad.length);
    outcomes.forEach((o, i) => assert.equal(o.status, "failed", `message ${i} should fail`));
    assert.deepEqual(await redis.keys(`${spider}*`), []);
    assert.equal(await statValue(redis, statsKey(stats.component, "fail", 900)), bad.length);
    assert.equal(await statValue(redis, statsKey(stats.component, "total", 900)), bad.length);
  });
});

Deno.test("processMessages() writes action, stats and zookeeper jobs for the redis-monitor", async () => {
  await withFixture(async ({ redis, spider, process }) => {
    const outcomes = await process([
      JSON.stringify({
        action: "info",
        appid: "testapp",
        uuid: "u1",
        spiderid: spider,
        crawlid: "c1",
      }),
      JSON.stringify({ action: "stop", appid: "testapp", uuid: "u2", spiderid: spider }),
      JSON.stringify({ appid: spider, uuid: "s1" }),
      JSON.stringify({
        uuid: "z1",
        appid: spider,
        action: "domain-update",
        domain: "example.com",
        hits: 60,
        window: 60,
        scale: 0.9,
      }),
      JSON.stringify({ uuid: "z2", appid: spider, action: "blacklist-update", domain: "ebay.com" }),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status === "handled" && o.plugin), [
      "ActionHandler",
      "ActionHandler",
      "StatsHandler",
      "ZookeeperHandler",
      "ZookeeperHandler",
    ]);
    assert.equal(await redis.get(`info:${spider}:testapp:c1`), "u1");
    assert.equal(await redis.get(`stop:${spider}:testapp`), "u2");
    assert.equal(await redis.get(`statsrequest:all:${spider}`), "s1");
    assert.deepEqual(JSON.parse((await redis.get(`zk:domain-update:example.com:${spider}`))!), {
      domain: "example.com",
      uuid: "z1",
      hits: 60,
      window: 60,
      scale: 0.9,
    });
    assert.deepEqual(JSON.parse((await redis.get(`zk:blacklist-update:ebay.com:${spider}`))!), {
      domain: "ebay.com",
      uuid: "z2",
    });
    const indexed = await redis.zrange("jobs:index", "0", "-1");
    for (
      const key of [
        `info:${spider}:testapp:c1`,
        `stop:${spider}:testapp`,
        `statsrequest:all:${spider}`,
      ]
    ) {
      assert.ok(indexed.includes(key), key);
    }
    await redis.zrem("jobs:index", ...indexed.filter((k) => k.includes(spider)));
  });
});

Deno.test("processMessages() says 'no handler loaded' for a known kind that is disabled", async () => {
  const redis = testRedis();
  const settings = settingsFor({ PLUGINS: { action_handler: null } });
  const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
  const stats = new StatsCollector(randomName("km"), [900]);
  try {
    const [outcome] = await processMessages(
      [JSON.stringify({ action: "info", appid: "testapp", uuid: "u1", spiderid: "link" })],
      { settings, redis, plugins, log, stats },
    );
    assert.equal(outcome.status, "failed");
  } finally {
    await deleteKeysContaining(redis, stats.component);
    await redis.quit();
  }
});

Deno.test("processMessages() handles the good requests of a batch mixed with bad ones", async () => {
  await withFixture(async ({ redis, spider, process }) => {
    const raw = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? "{broken" : JSON.stringify({
        url: `http://site${i}.com/`,
        appid: "testapp",
        crawlid: `c${i}`,
        spiderid: spider,
      }));
    const outcomes = await process(raw);
    assert.equal(outcomes.filter((o) => o.status === "handled").length, 20);
    assert.equal(await redis.zcard(queueIndexKey(spider)), 20);
  });
});

Deno.test("runKafkaMonitor() takes requests from Kafka to Redis and commits offsets", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  const topic = randomName("incoming");
  const group = randomName("group");
  const settings = settingsFor({ KAFKA_INCOMING_TOPIC: topic, KAFKA_GROUP: group });
  const kafka = createKafka(settings.KAFKA_HOSTS, "test");
  const send = (value: unknown) =>
    produceOnce(kafka, topic, typeof value === "string" ? value : JSON.stringify(value), 10_000);
  const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
  const handled: Outcome[] = [];
  const run = async (signal: AbortSignal) =>
    await runKafkaMonitor({ settings, redis, plugins, log, onBatch: (o) => handled.push(...o) }, {
      signal,
    });
  try {
    await ensureTopics(kafka, [topic]);
    await send("garbage");
    await send({
      url: "http://example.com",
      appid: "testapp",
      crawlid: "abc123",
      spiderid: spider,
    });
    const controller = new AbortController();
    const running = run(controller.signal);
    await eventually(() => redis.zcard(queueKey(spider, "example.com")).then((n) => n === 1), {
      what: "the request in Redis",
    });
    await send({ url: "http://other.org", appid: "testapp", crawlid: "abc123", spiderid: spider });
    await eventually(() => redis.zcard(queueKey(spider, "other.org")).then((n) => n === 1), {
      what: "the second request in Redis",
    });
    assert.equal(handled.filter((o) => o.status === "failed").length, 1);
    controller.abort();
    await running;

    // A new monitor in the same group starts after the committed offsets: nothing is re-read.
    handled.length = 0;
    const again = new AbortController();
    const rerun = run(again.signal);
    await send({ url: "http://third.net", appid: "testapp", crawlid: "abc123", spiderid: spider });
    await eventually(() => redis.zcard(queueKey(spider, "third.net")).then((n) => n === 1), {
      what: "the third request in Redis",
    });
    again.abort();
    await rerun;
    assert.deepEqual(handled, [{ status: "handled", plugin: "ScraperHandler" }]);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});

Deno.test("two runKafkaMonitor() instances in one group share the load, each request once", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  const topic = randomName("incoming");
  const settings = settingsFor({ KAFKA_INCOMING_TOPIC: topic, KAFKA_GROUP: randomName("group") });
  const kafka = createKafka(settings.KAFKA_HOSTS, "test");
  await ensureTopics(kafka, [topic], { numPartitions: 2 });
  const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
  const counts = [0, 0];
  const assigned = [0, 0];
  const controller = new AbortController();
  const monitors = [0, 1].map((i) =>
    runKafkaMonitor({
      settings,
      redis,
      plugins,
      log,
      onBatch: (o) => counts[i] += o.filter((x) => x.status === "handled").length,
      onGroupJoin: (n) => assigned[i] = n,
    }, { signal: controller.signal })
  );
  try {
    // Produce only once the group has balanced: one partition each.
    await eventually(() => assigned[0] === 1 && assigned[1] === 1, {
      what: "both monitors in the group",
      timeoutMs: 30_000,
    });
    const producer = kafka.producer();
    await producer.connect();
    // Keys spread the requests over both partitions.
    await producer.send({
      topic,
      messages: Array.from({ length: 100 }, (_, i) => ({
        key: `k${i}`,
        value: JSON.stringify({
          url: `http://d${i}.com/`,
          appid: "testapp",
          crawlid: "share",
          spiderid: spider,
        }),
      })),
    });
    await producer.disconnect();
    await eventually(() => redis.zcard(queueIndexKey(spider)).then((n) => n === 100), {
      what: "100 domains queued",
      timeoutMs: 30_000,
    });
    controller.abort();
    await Promise.all(monitors);
    assert.equal(counts[0] + counts[1], 100);
    assert.ok(counts[0] > 0 && counts[1] > 0, `both monitors worked: ${counts}`);
  } finally {
    controller.abort();
    await Promise.allSettled(monitors);
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});
