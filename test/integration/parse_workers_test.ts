/**
 * PARSE_WORKERS: a crawl parsed in a worker publishes the items the main thread publishes; a
 * spider that throws there fails its page only, with its error item; a worker that dies has
 * its page retried and is replaced.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import link from "../../components/crawler/spiders/link.ts";
import unruly from "../../components/crawler/pipeline/testdata/unruly_spider.ts";

const NO_ROBOTS = { ROBOTSTXT_OBEY: false };

/** An item as both paths must publish it: no crawl id, serialising time or response date. */
function comparable(item: Record<string, unknown>): Record<string, unknown> {
  const { crawlid: _c, timestamp: _t, ...rest } = item;
  const { Date: _d, ...headers } = rest.response_headers as Record<string, unknown>;
  return { ...rest, response_headers: headers };
}

Deno.test("runCrawler() with PARSE_WORKERS=1 publishes the items the main thread publishes", async () => {
  const f = await CrawlFixture.start();
  try {
    const byCrawl = async (crawlid: string, workers: number) => {
      const crawler = await f.startCrawler(link, { ...NO_ROBOTS, PARSE_WORKERS: workers });
      await f.seed(seedRequest({
        url: f.site.url("/"),
        spiderid: f.spiderName,
        crawlid,
        maxdepth: 2,
        allowed_domains: ["127.0.0.1"],
      }));
      await f.settle();
      await crawler.stop();
      const items = f.results.filter((r) => r.crawlid === crawlid).map(comparable);
      return items.sort((a, b) => String(a.url).localeCompare(String(b.url)));
    };
    const onMain = await byCrawl("main", 0);
    const inWorker = await byCrawl("workers", 1);
    assert.ok(onMain.length >= 10, `a real crawl (${onMain.length} items)`);
    assert.deepEqual(inWorker, onMain);
  } finally {
    await f.close();
  }
});

Deno.test("runCrawler() with PARSE_WORKERS: a throwing spider fails its page; a dying worker's page is retried", async () => {
  const page = (body: string) => () =>
    new Response(`<html><body>${body}</body></html>`, { headers: { "content-type": "text/html" } });
  const f = await CrawlFixture.start({
    routes: {
      "/": page('<a href="/throw">t</a><a href="/crash">c</a><a href="/ok">ok</a>'),
      "/throw": page("throws"),
      "/crash": page("crashes"),
      "/ok": page("fine"),
    },
  });
  try {
    const spider = new URL(
      "../../components/crawler/pipeline/testdata/unruly_spider.ts",
      import.meta.url,
    );
    // One page at a time: no other page is in flight in the worker that dies.
    const settings = {
      ...NO_ROBOTS,
      PARSE_WORKERS: 1,
      SPIDER: spider.href,
      CONCURRENT_REQUESTS: 1,
    };
    await f.startCrawler(unruly, settings);
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: 3 });
    const byPath = new Map(f.results.map((r) => [new URL(String(r.url)).pathname, r]));
    assert.deepEqual([...byPath.keys()].sort(), ["/", "/ok", "/throw"]);
    assert.equal(byPath.get("/throw")!.error, "parse failed: unruly page");
    assert.match(String(byPath.get("/throw")!.body), /throws/, "its raw response");
    // The worker died with /crash: retried, then given up (RETRY_TIMES=1), each time in a new
    // worker; every other page was crawled once.
    assert.equal(f.site.hits("/crash"), 2);
    for (const path of ["/", "/throw", "/ok"]) assert.equal(f.site.hits(path), 1, path);
    const crash = f.events.filter((e) => e.url === f.site.url("/crash")).map((e) => e.kind);
    assert.deepEqual(crash, ["retry", "gave_up"]);
    assert.ok(f.events.some((e) => e.kind === "failed" && e.url === f.site.url("/throw")));
    assert.equal(await f.pending(), 0);
  } finally {
    await f.close();
  }
});
