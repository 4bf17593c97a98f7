import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import {
  CP1252_TEXT,
  EXPECTED_DEPTH_0,
  EXPECTED_DEPTH_1,
  EXPECTED_DEPTH_2,
  fanOutRoutes,
  LATIN1_TEXT,
  REDIRECTS,
} from "../site.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { FrontierLayout, leasesKey, purgeCrawl, workChannel } from "../../lib/frontier/mod.ts";
import { eventually } from "../harness.ts";
import { statsKey } from "../../lib/stats/mod.ts";
import link from "../../components/crawler/spiders/link.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

/** Paths a crawl requests, plus where its redirects land (the fetcher follows them). */
function withRedirectTargets(paths: readonly string[]): string[] {
  return [...paths, ...paths.filter((p) => REDIRECTS[p]).map((p) => REDIRECTS[p])].sort();
}

/**
 * These tests assert the exact pages a crawl requests: robots.txt (on by default, its own
 * request per origin) is left to robots_test.ts.
 */
const NO_ROBOTS = { ROBOTSTXT_OBEY: false };

/** Paths that may be requested more than once: retried after a timeout or a 500. */
const RETRIED = new Set(["/slow", "/error"]);

async function crawlFromRoot(maxdepth: number) {
  const f = await CrawlFixture.start();
  try {
    await f.startCrawler(link, NO_ROBOTS);
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      maxdepth,
      allowed_domains: ["127.0.0.1"],
    }));
    await f.settle();
    return { f, paths: f.requestedPaths() };
  } catch (err) {
    await f.close();
    throw err;
  }
}

for (
  const [maxdepth, expected] of [[0, EXPECTED_DEPTH_0], [1, EXPECTED_DEPTH_1], [
    2,
    EXPECTED_DEPTH_2,
  ]] as const
) {
  Deno.test(`runCrawler() crawls exactly the expected pages with maxdepth ${maxdepth}`, async () => {
    const { f, paths } = await crawlFromRoot(maxdepth);
    try {
      assert.deepEqual([...new Set(paths)].sort(), withRedirectTargets(expected));
      // Each page exactly once (retried ones aside): the dupefilter covers seeds and links.
      const repeated = paths.filter((p, i) => paths[i - 1] === p && !RETRIED.has(p));
      assert.deepEqual(repeated, []);
      // Every page with a response reached Kafka once; the slow page timed out twice.
      const urls = f.results.map((r) => new URL(String(r.url)).pathname).sort();
      assert.deepEqual(urls, expected.filter((p) => p !== "/slow"));
      assert.equal(new Set(urls).size, urls.length);
    } finally {
      await f.close();
    }
  });
}

Deno.test("runCrawler() publishes the documented result item", async () => {
  const { f } = await crawlFromRoot(2);
  try {
    const byPath = new Map(f.results.map((r) => [new URL(String(r.url)).pathname, r]));
    const root = byPath.get("/")!;
    assert.equal(root.appid, "testapp");
    assert.equal(root.crawlid, "crawl1");
    assert.equal(root.status_code, 200);
    assert.equal(root.status_msg, "OK");
    assert.equal(root.encoding, "utf-8");
    assert.match(String(root.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.deepEqual(
      (root.response_headers as Record<string, string[]>)["Content-Type"],
      ["text/html; charset=utf-8"],
    );
    assert.ok((root.links as unknown[]).length >= 9);
    // Queue members are stored without schema defaults: the crawler put `attrs` back, on the
    // seed's item and on a follow-up's.
    assert.ok("attrs" in root && root.attrs === null);
    const child = byPath.get("/latin1")!;
    assert.ok("attrs" in child && child.attrs === null);
    const redirected = byPath.get("/redirect")!;
    assert.equal(redirected.response_url, f.site.url("/d"));
    assert.equal(byPath.get("/error")!.status_code, 500, "given up after retries: item kept");
    assert.equal(byPath.get("/missing")!.status_code, 404);
    assert.match(String(byPath.get("/latin1")!.body), new RegExp(LATIN1_TEXT));
    assert.match(String(byPath.get("/meta-charset")!.body), new RegExp(CP1252_TEXT));
    assert.equal(byPath.get("/meta-charset")!.encoding, "windows-1252");
  } finally {
    await f.close();
  }
});

Deno.test("runCrawler() names response_headers as Scrapy does, repeated headers as lists", async () => {
  const headers = new Headers({ "x-xss-protection": "1; mode=block", etag: '"v1"' });
  headers.append("set-cookie", "a=1; Path=/");
  headers.append("set-cookie", "b=2");
  const f = await CrawlFixture.start({
    routes: { "/": () => new Response("<html><body>hi</body></html>", { headers }) },
  });
  try {
    await f.startCrawler(link, NO_ROBOTS);
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName }));
    await f.settle({ pages: 1 });
    const got = f.results[0].response_headers as Record<string, string[]>;
    assert.deepEqual(got["X-Xss-Protection"], ["1; mode=block"]);
    assert.deepEqual(got["Etag"], ['"v1"']);
    assert.deepEqual(got["Set-Cookie"], ["a=1; Path=/", "b=2"]);
    assert.deepEqual(got["Content-Type"], ["text/plain;charset=UTF-8"]);
    // Every name is Title-Case, in sorted order (Scrapy Cluster's sorted-keys JSON).
    const names = Object.keys(got);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.every((n) => /^[A-Z][a-z0-9]*(-[A-Z0-9][a-z0-9]*)*$/.test(n)), `${names}`);
  } finally {
    await f.close();
  }
});

Deno.test("runCrawler() never requests links the crawl's filters exclude", async () => {
  const f = await CrawlFixture.start();
  try {
    await f.startCrawler(link, NO_ROBOTS);
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      maxdepth: 2,
      allowed_domains: ["127.0.0.1"],
      allow_regex: ["/a", "/c"],
      deny_regex: ["/a2$"],
    }));
    await f.settle();
    assert.deepEqual([...new Set(f.requestedPaths())], ["/", "/a", "/a1", "/c", "/c1"]);
  } finally {
    await f.close();
  }
});

Deno.test("runCrawler() retries a flaky page through the shared queue", async () => {
  const f = await CrawlFixture.start();
  try {
    await f.startCrawler(link, { RETRY_TIMES: 3 });
    await f.seed(seedRequest({ url: f.site.url("/flaky"), spiderid: f.spiderName }));
    await f.settle({ pages: 1 });
    assert.equal(f.site.hits("/flaky"), 3);
    assert.deepEqual(f.results.map((r) => r.status_code), [200]);
    assert.deepEqual(f.events.map((e) => e.kind), ["retry", "retry", "page"]);
  } finally {
    await f.close();
  }
});

Deno.test("runCrawler() gives up after RETRY_TIMES and publishes nothing for a dead host", async () => {
  const f = await CrawlFixture.start();
  try {
    // robots.txt off: an unreachable robots.txt would keep the domain waiting (robots_test.ts).
    await f.startCrawler(link, { RETRY_TIMES: 2, ...NO_ROBOTS });
    // A free port on loopback: connection refused every time.
    await f.seed(seedRequest({ url: `http://127.0.0.1:${freePort()}/x`, spiderid: f.spiderName }));
    await f.settle();
    assert.deepEqual(f.events.map((e) => e.kind), ["retry", "retry", "gave_up"]);
    assert.equal(f.results.length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("a spider whose parse throws: fetched once, error item published, lease acknowledged, fail counted", async () => {
  const f = await CrawlFixture.start();
  try {
    const throwing = {
      name: "throwing",
      parse: (): never => {
        throw new Error("boom");
      },
    };
    // A short lease: a request whose lease were kept would be fetched again within the test.
    const crawler = await f.startCrawler(throwing, { LEASE_TIMEOUT: 1 });
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName }));
    await f.settle({ pages: 1 });
    assert.equal(await f.redis.zcard(leasesKey(f.spiderName)), 0, "lease acknowledged");
    await new Promise((r) => setTimeout(r, 1_500)); // past the lease: nothing comes back
    assert.equal(f.site.hits("/"), 1, "fetched once");
    assert.equal(await f.pending(), 0);
    assert.deepEqual(f.events, [{
      kind: "failed",
      url: f.site.url("/"),
      status: 200,
      reason: "parse failed: boom",
    }]);
    assert.equal(f.results.length, 1);
    const [item] = f.results;
    assert.equal(item.error, "parse failed: boom");
    assert.equal(item.url, f.site.url("/"));
    assert.equal(item.status_code, 200);
    assert.equal(item.crawlid, "crawl1");
    assert.match(String(item.body), /<a /, "the raw response, as with HTTPERROR_ALLOW_ALL");
    await crawler.stop(); // writes the stats
    const fail = statsKey("crawler", `testhost:${f.spiderName}:fail`, "lifetime");
    assert.equal(await f.redis.get(fail), "1");
  } finally {
    await f.close();
  }
});

Deno.test("two crawlers share one crawl and fetch no page twice", async () => {
  const f = await CrawlFixture.start();
  try {
    const one = await f.startCrawler(link, { CONCURRENT_REQUESTS: 2, ...NO_ROBOTS });
    const two = await f.startCrawler(link, { CONCURRENT_REQUESTS: 2, ...NO_ROBOTS });
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      maxdepth: 2,
      allowed_domains: ["127.0.0.1"],
    }));
    await f.settle();
    const paths = f.requestedPaths();
    assert.deepEqual([...new Set(paths)].sort(), withRedirectTargets(EXPECTED_DEPTH_2));
    assert.deepEqual(paths.filter((p, i) => paths[i - 1] === p && !RETRIED.has(p)), []);
    assert.ok(one.events.length > 0 && two.events.length > 0, "both crawled");
  } finally {
    await f.close();
  }
});

Deno.test("a crawler stopped mid-crawl loses nothing: another finishes the crawl", async () => {
  const pages = 30;
  const f = await CrawlFixture.start({ routes: fanOutRoutes(pages, { delayMs: 150 }) });
  try {
    const first = await f.startCrawler(link, { CONCURRENT_REQUESTS: 4, DOWNLOAD_TIMEOUT: 5 });
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }));
    while (first.events.filter((e) => e.kind === "page").length < 5) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await first.stop();
    const crawledByFirst = first.events.filter((e) => e.kind === "page").length;
    assert.ok(crawledByFirst < pages + 1, "stopped before the end");
    await f.startCrawler(link, { CONCURRENT_REQUESTS: 4, DOWNLOAD_TIMEOUT: 5 });
    await f.settle({ pages: pages + 1 });
    const urls = f.results.map((r) => new URL(String(r.url)).pathname).sort();
    assert.equal(urls.length, pages + 1, "every page once");
    assert.equal(new Set(urls).size, pages + 1);
  } finally {
    await f.close();
  }
});

Deno.test("a crawl stopped mid-way crawls nothing more and enqueues no children", async () => {
  const pages = 40;
  // Every page links onwards, so in-flight pages would add children if allowed.
  // Slow pages: the crawl must still be far from done when the test stops it, even on a
  // loaded machine (40 pages, 3 at a time: 7 s of crawling left at the stop).
  const routes = fanOutRoutes(pages, { delayMs: 500, body: (i) => `<a href="/q${i}">next</a>` });
  const f = await CrawlFixture.start({ routes });
  try {
    const crawler = await f.startCrawler(link, { CONCURRENT_REQUESTS: 3, DOWNLOAD_TIMEOUT: 5 });
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 2 }));
    while (crawler.events.filter((e) => e.kind === "page").length < 4) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const queued = await f.redis.zcard(layout.shards[0].queue(f.spiderName, "127.0.0.1"));
    const purged = await purgeCrawl(f.redis, layout, f.spiderName, "testapp", "crawl1");
    const requestedAtStop = f.site.requests.length;
    await f.settle();
    // Every request queued at the stop is gone: purged, or dropped by a pop that ran between the
    // blacklisting and the purge (a pop drops all of a stopped crawl's requests it meets).
    const dropped = crawler.events.filter((e) => e.kind === "dropped" && e.reason === "stopped");
    assert.ok(queued > 0, "the crawl was stopped mid-way");
    assert.ok(purged + dropped.length >= queued - 3, `${purged} purged, ${dropped.length} dropped`);
    // Only the pages already downloading (at most CONCURRENT_REQUESTS) finished afterwards.
    assert.ok(f.site.requests.length - requestedAtStop <= 3, `${f.site.requests.length}`);
    assert.equal(f.requestedPaths().filter((p) => p.startsWith("/q")).length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("an idle crawler wakes on new work instead of waiting for its next poll", async () => {
  const f = await CrawlFixture.start();
  try {
    // A poll a minute apart: only the new-work announcement can bring the page in time.
    await f.startCrawler(link, { ...NO_ROBOTS, IDLE_POLL_MS: 60_000 });
    const channel = workChannel(f.spiderName);
    await eventually(async () => {
      const [, subscribers] = (await f.redis.call("PUBSUB", "NUMSUB", channel)) as [string, number];
      return subscribers > 0;
    }, { what: "the crawler to subscribe", timeoutMs: 10_000 });
    // Let its first pop find nothing and start the minute-long wait.
    await new Promise((ok) => setTimeout(ok, 300));
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 0 }));
    await f.settle({ pages: 1, timeoutMs: 15_000 });
    assert.deepEqual(f.requestedPaths(), ["/"]);
  } finally {
    await f.close();
  }
});
