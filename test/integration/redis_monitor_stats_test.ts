import assert from "node:assert/strict";
import { crawlerHeartbeatKey, hostName, StatsCollector } from "../../lib/stats/mod.ts";
import { enqueueRequests, FrontierLayout } from "../../lib/frontier/mod.ts";
import { ApiFixture } from "../api_fixture.ts";
import { eventually } from "../harness.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

const WINDOWS = ["900", "3600", "21600", "43200", "86400", "604800", "lifetime"];
const counts = (n: number) => Object.fromEntries(WINDOWS.map((w) => [w, n]));

Deno.test("the kafka-monitor stats answer counts totals, failures, plugins and nodes", async () => {
  const f = await ApiFixture.start();
  try {
    await f.feed({ url: "http://a.com", appid: "testapp", crawlid: "c1" });
    await f.feed({ url: "http://b.com", appid: "testapp", crawlid: "c1" });
    await f.feed("{not json");
    // The stats request is counted before it is answered: wait for the first three.
    await eventually(() => f.redis.exists("link:b.com:queue").then((n) => n === 1));
    await f.feed({ appid: "testapp", uuid: "cdefgh1", stats: "kafka-monitor" });
    const answer = await f.answer((a) => a.uuid === "cdefgh1");
    assert.equal(answer.stats, "kafka-monitor");
    assert.equal(answer.appid, "testapp");
    assert.deepEqual(answer.total, counts(4));
    assert.deepEqual(answer.fail, counts(1));
    assert.deepEqual(answer.plugins, {
      ScraperHandler: counts(2),
      StatsHandler: counts(1),
    });
    const nodes = answer.nodes as Record<string, string[]>;
    assert.deepEqual(Object.keys(nodes), [hostName()]);
    assert.equal(nodes[hostName()].length, 1);
    assert.match(nodes[hostName()][0], /^[0-9a-f]{12}$/);
  } finally {
    await f.close();
  }
});

Deno.test("spider, machine, queue, crawler and all stats answer in Scrapy Cluster's shapes", async () => {
  const f = await ApiFixture.start();
  try {
    // Two link crawlers on host1, one on host2; status codes as crawlers count them.
    const stats = new StatsCollector("crawler", [900, 3600]);
    const pipeline = f.redis.pipeline();
    stats.increment(pipeline, "host1:link:200", Date.now(), 10);
    stats.increment(pipeline, "host2:link:200", Date.now(), 5);
    stats.increment(pipeline, "host2:link:504", Date.now(), 1);
    await pipeline.exec();
    for (
      const [host, id] of [["host1", "aaaaaaaaaaaa"], ["host1", "bbbbbbbbbbbb"], [
        "host2",
        "cccccccccccc",
      ]]
    ) {
      await f.redis.set(crawlerHeartbeatKey(host, "link", id), "1", "EX", 60);
    }
    await enqueueRequests(
      f.redis,
      layout,
      {
        spiderid: "link",
        appid: "test",
        crawlid: "q",
        expires: 0,
        dupefilterTtlSec: 60,
      },
      Array.from({ length: 229 }, (_, i) => ({
        fingerprint: null,
        spiderid: "link",
        domain: "istresearch.com",
        priority: 1,
        member: JSON.stringify({ appid: "test", crawlid: "q", i }),
      })),
    );

    await f.feed({ appid: "testapp", uuid: "hij1", stats: "spider" });
    await f.feed({ appid: "testapp", uuid: "hij12", stats: "machine" });
    await f.feed({ stats: "queue", appid: "test", uuid: "1234567890" });
    await f.feed({ stats: "crawler", appid: "test", uuid: "crawler1" });
    await f.feed({ appid: "test", uuid: "all1" });

    const spider = await f.answer((a) => a.uuid === "hij1");
    assert.deepEqual(spider.spiders, {
      unique_spider_count: 1,
      total_spider_count: 3,
      link: {
        count: 3,
        200: { 900: 15, 3600: 15, lifetime: 15 },
        504: { 900: 1, 3600: 1, lifetime: 1 },
      },
    });
    const machine = await f.answer((a) => a.uuid === "hij12");
    assert.deepEqual(machine.machines, {
      count: 2,
      host1: { 200: { 900: 10, 3600: 10, lifetime: 10 } },
      host2: { 200: { 900: 5, 3600: 5, lifetime: 5 }, 504: { 900: 1, 3600: 1, lifetime: 1 } },
    });
    const queue = await f.answer((a) => a.uuid === "1234567890");
    assert.deepEqual(queue.queues, {
      queue_link: {
        domains: [{ domain: "istresearch.com", backlog: 229 }],
        spider_backlog: 229,
        num_domains: 1,
      },
      total_backlog: 229,
    });
    const crawler = await f.answer((a) => a.uuid === "crawler1");
    assert.deepEqual(crawler.spiders, spider.spiders);
    assert.deepEqual(crawler.machines, machine.machines);
    assert.deepEqual(crawler.queue, queue.queues);
    const all = await f.answer((a) => a.uuid === "all1");
    assert.equal(all.stats, "all");
    assert.deepEqual(Object.keys(all).sort(), [
      "appid",
      "crawler",
      "kafka-monitor",
      "redis-monitor",
      "rest",
      "server_time",
      "stats",
      "uuid",
    ]);
    assert.ok(((all["redis-monitor"] as Record<string, unknown>).total as object) !== undefined);
  } finally {
    await f.close();
  }
});
