/**
 * Requests others write straight into `<spiderid>:<domain>:queue` (Scrapy Cluster's
 * kafka-monitor: score `-priority`, member the ujson of the request) are crawled and counted:
 * pops read their priority, the queue sweep indexes, rescores and counts them, and rebuilds
 * counters a foreign crawler left stale. Real Redis, the local test site, in-process crawlers.
 */
import assert from "node:assert/strict";
import { getLog } from "../../lib/config/mod.ts";
import {
  adoptQueues,
  enqueueRequests,
  FrontierLayout,
  indexedDomains,
  isForeignScore,
  popLeased,
  purgeCrawl,
  readBacklog,
} from "../../lib/frontier/mod.ts";
import { registeredDomain } from "../../lib/web/mod.ts";
import { QUEUE_SWEEP_LOCK, sweepQueuesOnce } from "../../components/redis-monitor/queue_sweep.ts";
import link from "../../components/crawler/spiders/link.ts";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import { type Client, SINGLE_SHARD, withSpider } from "./frontier_fixture.ts";

/** Scrapy Cluster's ScraperHandler: ujson of the request (`/` escaped), score −priority. */
async function scrapyClusterFeed(redis: Client, queue: string, req: object, priority: number) {
  await redis.zadd(queue, -priority, JSON.stringify(req).replaceAll("/", "\\/"));
}

const counts = async (redis: Client, layout: FrontierLayout, spider: string) =>
  Object.fromEntries(
    (await readBacklog(redis, layout, spider, "app"))
      .map((e) => [`${e.crawlid} ${e.domain} ${e.priority}`, e.count])
      .sort(),
  );

Deno.test("Scrapy Cluster's online crawler test: two requests written into the queue crawl 1 and 4 pages", async () => {
  const f = await CrawlFixture.start();
  try {
    const url = f.site.url("/");
    const queue = `${f.spiderName}:${registeredDomain(url)}:queue`;
    // As Scrapy Cluster's tests/online.py feeds them, scores −80 and −90.
    await scrapyClusterFeed(
      f.redis,
      queue,
      seedRequest({ url, spiderid: f.spiderName, crawlid: "abc12345", maxdepth: 0 }),
      80,
    );
    await scrapyClusterFeed(
      f.redis,
      queue,
      seedRequest({
        url,
        spiderid: f.spiderName,
        crawlid: "abc1234567",
        maxdepth: 3,
        allowed_domains: ["127.0.0.1"],
        domain_max_pages: 4,
      }),
      90,
    );
    // The redis-monitor's sweep (QUEUE_SCAN_INTERVAL) finds the queue nobody indexed.
    const swept = await adoptQueues(f.redis, new FrontierLayout(1));
    assert.ok(swept.rescored >= 2, `adopted ${swept.rescored}`);
    await f.startCrawler(link, { ROBOTSTXT_OBEY: false });
    await f.settle({ pages: 5 });
    const pagesOf = (crawlid: string) => f.results.filter((r) => r.crawlid === crawlid).length;
    assert.equal(pagesOf("abc12345"), 1);
    assert.equal(pagesOf("abc1234567"), 4);
  } finally {
    await f.close();
  }
});

Deno.test("popLeased() rescores Scrapy Cluster's requests first, so they pop at their priority", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const shard = layout.of("a.com");
    const json = (name: string) => JSON.stringify({ appid: "app", crawlid: "c1", name });
    await enqueueRequests(
      redis,
      layout,
      crawl,
      [1, 2].map((i) => ({
        fingerprint: null,
        spiderid: spider,
        domain: "a.com",
        priority: 1,
        member: json(`ours-${i}`),
      })),
    );
    await scrapyClusterFeed(redis, shard.queue(spider, "a.com"), JSON.parse(json("theirs-5")), 5);
    await scrapyClusterFeed(redis, shard.queue(spider, "a.com"), JSON.parse(json("theirs-0")), 0);
    const first = await popLeased(redis, layout, spider, { max: 1, leaseMs: 60_000 });
    assert.deepEqual(first.leases.map((l) => [JSON.parse(l.member).name, l.priority]), [
      ["theirs-5", 5],
    ]);
    assert.equal(isForeignScore(Number(first.leases[0].score)), false, "rescored before the pop");
    // The one left behind was counted when rescored; ours were counted at enqueue.
    assert.deepEqual(await counts(redis, layout, spider), {
      "c1 a.com 0": 1,
      "c1 a.com 1": 2,
    });
    const rest = await popLeased(redis, layout, spider, { max: 5, leaseMs: 60_000 });
    assert.deepEqual(rest.leases.map((l) => JSON.parse(l.member).name), [
      "ours-1",
      "ours-2",
      "theirs-0",
    ]);
    assert.deepEqual(await counts(redis, layout, spider), {});
  }, SINGLE_SHARD); // Scrapy Cluster writes Scrapy Cluster's (untagged) names
});

Deno.test("adoptQueues() indexes, rescores (FIFO kept) and counts foreign queues; a dry run changes nothing", async () => {
  await withSpider(async (redis, spider, _crawl, layout) => {
    const queue = layout.of("b.com").queue(spider, "b.com");
    const req = (name: string) => ({ appid: "app", crawlid: "c1", name });
    // Equal scores: Scrapy Cluster pops them in member order, which the rescoring keeps.
    for (const name of ["a-first", "b-second", "c-third"]) {
      await scrapyClusterFeed(redis, queue, req(name), 10);
    }
    await scrapyClusterFeed(redis, queue, req("z-high"), 20);
    const before = await redis.zrange(queue, "0", "-1", "WITHSCORES");

    const dry = await adoptQueues(redis, layout, { dryRun: true });
    assert.ok(dry.rescored >= 4);
    assert.deepEqual(await redis.zrange(queue, "0", "-1", "WITHSCORES"), before);
    assert.deepEqual(await indexedDomains(redis, layout, spider), []);

    const seen: string[] = [];
    await adoptQueues(redis, layout, {
      onQueue: (q) => q.spiderid === spider && seen.push(`${q.domain} ${q.rescored} ${q.size}`),
    });
    assert.deepEqual(seen, ["b.com 4 4"]);
    assert.deepEqual(await indexedDomains(redis, layout, spider), ["b.com"]);
    assert.deepEqual(await counts(redis, layout, spider), { "c1 b.com 10": 3, "c1 b.com 20": 1 });
    const again: string[] = [];
    await adoptQueues(redis, layout, {
      onQueue: (q) => q.spiderid === spider && again.push(`${q.rescored} ${q.repaired}`),
    });
    assert.deepEqual(again, ["0 false"], "a second sweep changes nothing");

    const popped = await popLeased(redis, layout, spider, { max: 10, leaseMs: 60_000 });
    assert.deepEqual(popped.leases.map((l) => JSON.parse(l.member).name), [
      "z-high",
      "a-first",
      "b-second",
      "c-third",
    ]);
  }, SINGLE_SHARD);
});

Deno.test("adoptQueues() rebuilds counters a foreign crawler left stale; stop purges adopted requests", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const shard = layout.of("c.com");
    const member = (i: number) => JSON.stringify({ appid: "app", crawlid: "c1", i });
    await enqueueRequests(
      redis,
      layout,
      crawl,
      [0, 1, 2].map((i) => ({
        fingerprint: null,
        spiderid: spider,
        domain: "c.com",
        priority: 3,
        member: member(i),
      })),
    );
    // Scrapy Cluster's crawler pops with ZRANGE + ZREMRANGEBYRANK: our counters never hear of it.
    await redis.zremrangebyrank(shard.queue(spider, "c.com"), 0, 0);
    assert.deepEqual(await counts(redis, layout, spider), { "c1 c.com 3": 3 });
    const summary = await adoptQueues(redis, layout);
    assert.ok(summary.repaired >= 1);
    assert.deepEqual(await counts(redis, layout, spider), { "c1 c.com 3": 2 });
    assert.equal(await purgeCrawl(redis, layout, spider, "app", "c1"), 2);
    assert.deepEqual(await counts(redis, layout, spider), {});
    assert.deepEqual(await indexedDomains(redis, layout, spider), []);
  });
});

Deno.test("sweepQueuesOnce(): one redis-monitor sweeps per QUEUE_SCAN_INTERVAL", async () => {
  await withSpider(async (redis, spider, _crawl, layout) => {
    await redis.del(QUEUE_SWEEP_LOCK);
    await scrapyClusterFeed(redis, layout.of("d.com").queue(spider, "d.com"), {
      appid: "app",
      crawlid: "c1",
    }, 1);
    const settings = { QUEUE_SCAN_INTERVAL: 30, FRONTIER_SHARDS: 0 };
    const log = getLog("redis-monitor", "test");
    assert.equal(await sweepQueuesOnce(redis, settings, log), true);
    assert.equal(await sweepQueuesOnce(redis, settings, log), false, "another monitor swept");
    assert.deepEqual(await indexedDomains(redis, layout, spider), ["d.com"]);
    await redis.del(QUEUE_SWEEP_LOCK);
  }, (s) => s.kind === "plain" && s.shards === 1);
});
