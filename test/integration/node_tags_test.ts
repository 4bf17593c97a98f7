/**
 * Node tags (issue 13): a request with `tags` is taken only by crawlers whose CRAWLER_TAGS
 * include them all; untagged requests by any crawler; info, stop, leases and throttling as
 * before; the machine stats show each node's tags. Real Redis (plain and cluster), the local
 * test site, crawlers in-process.
 */
import assert from "node:assert/strict";
import {
  ackLeases,
  enqueueRequests,
  familiesFor,
  FRONTIER_SHARDS_KEY,
  FrontierLayout,
  popLeased,
  purgeCrawl,
  queueFamily,
  readBacklog,
  returnLeases,
} from "../../lib/frontier/mod.ts";
import { createValidator } from "../../lib/api/mod.ts";
import { machineStats } from "../../lib/stats/mod.ts";
import link from "../../components/crawler/spiders/link.ts";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import { fanOutRoutes } from "../site.ts";
import { withSpider } from "./frontier_fixture.ts";
import { Redis } from "ioredis";
import { deleteKeysContaining, isolatedRedisUrl, randomName } from "../harness.ts";
import { relayout } from "../../components/migrate/relayout.ts";

const json = (i: number, tags?: string[]) =>
  JSON.stringify({ appid: "app", crawlid: "c1", i, ...(tags ? { tags } : {}) });

Deno.test("tagged requests wait in their own queue family; only a pop of that family takes them", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const gpu = queueFamily(spider, ["gpu"]);
    await enqueueRequests(redis, layout, crawl, [
      { fingerprint: null, spiderid: spider, domain: "a.com", priority: 1, member: json(0) },
      {
        fingerprint: null,
        spiderid: spider,
        tags: ["gpu"],
        domain: "a.com",
        priority: 1,
        member: json(1, ["gpu"]),
      },
    ]);
    assert.deepEqual(await familiesFor(redis, spider, []), [spider]);
    assert.deepEqual(await familiesFor(redis, spider, ["eu", "gpu"]), [spider, gpu]);
    assert.deepEqual(await familiesFor(redis, spider, ["eu"]), [spider]);
    // Info counts both; the tagged one is in its family.
    const backlog = await readBacklog(redis, layout, spider, "app");
    assert.deepEqual(backlog.map((e) => [e.family, e.domain, e.count]).sort(), [
      [spider, "a.com", 1],
      [gpu, "a.com", 1],
    ]);
    const untagged = await popLeased(redis, layout, spider, { max: 5, leaseMs: 60_000 });
    assert.deepEqual(untagged.leases.map((l) => JSON.parse(l.member).i), [0]);
    const tagged = await popLeased(redis, layout, spider, {
      max: 5,
      leaseMs: 60_000,
      family: gpu,
    });
    assert.deepEqual(tagged.leases.map((l) => [JSON.parse(l.member).i, l.family]), [[1, gpu]]);
    // Its lease says where it lives: returned to its family, acknowledged there.
    assert.equal(await returnLeases(redis, layout, spider, tagged.leases), 1);
    const again = await popLeased(redis, layout, spider, { max: 5, leaseMs: 60_000, family: gpu });
    await ackLeases(redis, layout, spider, again.leases.map((l) => l.id));
    const leftInLeases = await redis.zcard(layout.of("a.com").leases(gpu));
    assert.equal(leftInLeases, 0);
    // Stop purges every family.
    await enqueueRequests(redis, layout, { ...crawl, crawlid: "c2" }, [{
      fingerprint: null,
      spiderid: spider,
      tags: ["gpu"],
      domain: "b.com",
      priority: 1,
      member: JSON.stringify({ appid: "app", crawlid: "c2", tags: ["gpu"] }),
    }]);
    assert.equal(await purgeCrawl(redis, layout, spider, "app", "c2"), 1);
    assert.deepEqual(await readBacklog(redis, layout, spider, "app", "c2"), []);
  });
});

Deno.test("the scraper schema takes optional tags and refuses odd ones", () => {
  const validate = createValidator("scraper");
  const base = { url: "http://example.com", appid: "app", crawlid: "abc" };
  const untagged = validate(base);
  assert.ok(untagged.ok && !("tags" in untagged.value), "old requests unaffected");
  assert.ok(validate({ ...base, tags: ["gpu", "eu-west.1"] }).ok);
  assert.equal(validate({ ...base, tags: ["has space"] }).ok, false);
  assert.equal(validate({ ...base, tags: ["a:b"] }).ok, false);
  assert.equal(validate({ ...base, tags: ["gpu", "gpu"] }).ok, false);
});

Deno.test("two crawlers with different tags: every page is fetched by a crawler whose tags match", async () => {
  // Slow pages and two slots per crawler: both crawlers get a share of untagged work.
  const f = await CrawlFixture.start({ routes: fanOutRoutes(12, { delayMs: 100 }) });
  try {
    await f.startCrawler(link, {
      CRAWLER_TAGS: ["gpu", "eu"],
      USER_AGENT: "node-gpu-eu",
      ROBOTSTXT_OBEY: false,
      CONCURRENT_REQUESTS: 2,
    });
    await f.startCrawler(link, {
      USER_AGENT: "node-plain",
      ROBOTSTXT_OBEY: false,
      CONCURRENT_REQUESTS: 2,
    });
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      crawlid: "tagged",
      maxdepth: 1,
      tags: ["gpu"],
    }));
    await f.settle({ pages: 13 });
    const agents = new Set(f.site.requests.map((r) => r.userAgent));
    assert.deepEqual([...agents], ["node-gpu-eu"], "only the gpu crawler fetched the tagged crawl");
    assert.equal(f.results.filter((r) => r.crawlid === "tagged").length, 13);
    // Untagged work goes to either; the plain crawler takes some of it.
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      crawlid: "untagged",
      maxdepth: 1,
    }));
    await f.settle({ pages: 26 });
    const untaggedAgents = new Set(f.site.requests.slice(13).map((r) => r.userAgent));
    assert.ok(untaggedAgents.has("node-plain"), [...untaggedAgents].join(", "));
    // The machine stats show the node's tags.
    const { machines } = await machineStats(f.redis, Date.now() / 1000);
    assert.deepEqual((machines.testhost as Record<string, unknown>).tags, ["eu", "gpu"]);
  } finally {
    await f.close();
  }
});

Deno.test("migrate moves tagged queue families and their list with the rest of the frontier", async () => {
  const source = new Redis(isolatedRedisUrl(9));
  const target = new Redis(isolatedRedisUrl(8));
  const spider = randomName("spider");
  const crawl = { spiderid: spider, appid: "app", crawlid: "c1", expires: 0, dupefilterTtlSec: 60 };
  try {
    await enqueueRequests(source, new FrontierLayout(1), crawl, [{
      fingerprint: "fp",
      spiderid: spider,
      tags: ["gpu"],
      domain: "a.com",
      priority: 1,
      member: json(1, ["gpu"]),
    }]);
    const moved = await relayout(source, target, 4, { spiders: [spider], force: true });
    assert.equal(moved.queues, 1);
    const four = new FrontierLayout(4);
    const gpu = queueFamily(spider, ["gpu"]);
    assert.deepEqual(await familiesFor(target, spider, ["gpu"]), [spider, gpu]);
    const popped = await popLeased(target, four, spider, { max: 5, leaseMs: 60_000, family: gpu });
    assert.deepEqual(popped.leases.map((l) => JSON.parse(l.member).i), [1]);
  } finally {
    for (const redis of [source, target]) {
      await deleteKeysContaining(redis, spider);
      await redis.del(FRONTIER_SHARDS_KEY);
      await redis.quit();
    }
  }
});
