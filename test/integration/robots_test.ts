/**
 * robots.txt against real Redis and Kafka and the local test site (routes of its own here,
 * `/robots.txt` included): disallowed pages are never fetched and are counted as refused; the
 * file is fetched once per origin however many crawlers run; 404 allows everything; 500 keeps
 * the domain waiting until ROBOTSTXT_RETRY_SEC; Crawl-delay spaces the pops of every crawler;
 * the robots.txt fetch is not a page of the crawl.
 */

import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import { deleteKeysContaining } from "../harness.ts";
import { fanOutRoutes, type Route, type SiteRequestLogEntry } from "../site.ts";
import { refusedField, refusedKey } from "../../lib/frontier/mod.ts";
import { statsKey } from "../../lib/stats/mod.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import link from "../../components/crawler/spiders/link.ts";

const TEXT = { "content-type": "text/plain" };

/** A fixture whose site serves `routes`; its robots keys are removed on close. */
async function withSite(
  routes: Record<string, Route>,
  fn: (f: CrawlFixture) => Promise<void>,
): Promise<void> {
  const f = await CrawlFixture.start({ routes });
  try {
    await fn(f);
  } finally {
    // robots keys are per origin, not per spider: removed by the site's port.
    await deleteKeysContaining(f.redis, `127.0.0.1:${f.site.port}`);
    await f.close();
  }
}

/** The site's requests for pages (robots.txt left out), oldest first. */
function pageRequests(f: CrawlFixture): SiteRequestLogEntry[] {
  return f.site.requests.filter((r) => r.path !== "/robots.txt");
}

Deno.test("robots.txt: a disallowed page is never fetched and is counted as refused", async () => {
  await withSite({
    "/robots.txt": {
      headers: TEXT,
      body: "User-agent: *\nDisallow: /private\n\nUser-agent: otherbot\nDisallow: /\n",
    },
    "/": { body: '<a href="/private/x">x</a><a href="/public">p</a><a href="/private">p</a>' },
    "/public": { body: "public" },
    "/private": { body: "secret" },
    "/private/x": { body: "secret" },
  }, async (f) => {
    const crawler = await f.startCrawler(link);
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: 2 });
    assert.equal(f.site.hits("/private"), 0);
    assert.equal(f.site.hits("/private/x"), 0);
    assert.equal(f.site.hits("/public"), 1);
    assert.equal(f.site.hits("/robots.txt"), 1);
    const refused = f.events.filter((e) => e.kind === "refused");
    assert.deepEqual(refused.map((e) => e.kind === "refused" && e.refusal), ["robots", "robots"]);
    assert.match(
      refused.map((e) => e.kind === "refused" ? e.reason : "").sort()[0],
      /^http:\/\/127\.0\.0\.1:\d+\/private disallowed by robots\.txt for crawl-cluster\/0\.1$/,
    );
    // Counted for the crawl (the info answer's refused.robots) and for the crawler.
    const perCrawl = await f.redis.hget(
      refusedKey(f.spiderName, "testapp"),
      refusedField("crawl1", "robots"),
    );
    assert.equal(perCrawl, "2");
    await crawler.stop(); // writes the stats
    const stat = statsKey("crawler", `testhost:${f.spiderName}:refused_robots`, "lifetime");
    assert.equal(await f.redis.get(stat), "2");
    assert.deepEqual(f.results.map((r) => new URL(String(r.url)).pathname).sort(), [
      "/",
      "/public",
    ]);
  });
});

Deno.test("robots.txt: matched for the request's useragent, else USER_AGENT", async () => {
  await withSite({
    "/robots.txt": {
      headers: TEXT,
      body: "User-agent: *\nDisallow: /star\n\nUser-agent: otherbot\nDisallow: /other\n",
    },
    "/star": { body: "s" },
    "/other": { body: "o" },
  }, async (f) => {
    await f.startCrawler(link);
    const seed = (path: string, useragent: string | null) =>
      seedRequest({
        url: f.site.url(path),
        spiderid: f.spiderName,
        crawlid: `${path.slice(1)}-${useragent === null ? "default" : "other"}`,
        ...(useragent === null ? {} : { useragent }),
      });
    await f.seed(seed("/star", null), seed("/other", null));
    await f.settle();
    assert.equal(f.site.hits("/star"), 0, "USER_AGENT falls in the * group");
    assert.equal(f.site.hits("/other"), 1);
    await f.seed(seed("/star", "OtherBot/2.0"), seed("/other", "OtherBot/2.0"));
    await f.settle();
    assert.equal(f.site.hits("/star"), 1, "otherbot has a group of its own");
    assert.equal(f.site.hits("/other"), 1, "not fetched again");
  });
});

Deno.test("robots.txt: fetched once per origin, even with two crawlers", async () => {
  const routes = {
    ...fanOutRoutes(20),
    "/robots.txt": {
      delayMs: 300, // both crawlers start on the domain while it is being fetched
      headers: TEXT,
      body: "User-agent: *\nDisallow: /p1$\n",
    },
  };
  await withSite(routes, async (f) => {
    const one = await f.startCrawler(link, { CONCURRENT_REQUESTS: 4 });
    const two = await f.startCrawler(link, { CONCURRENT_REQUESTS: 4 });
    // Many seeds at once: both crawlers pop requests of the domain before robots.txt is known.
    await f.seed(
      ...Array.from(
        { length: 20 },
        (_, i) => seedRequest({ url: f.site.url(`/p${i}`), spiderid: f.spiderName }),
      ),
    );
    await f.settle({ pages: 19 });
    assert.equal(f.site.hits("/robots.txt"), 1);
    assert.equal(f.site.hits("/p1"), 0);
    for (let i = 0; i < 20; i++) if (i !== 1) assert.equal(f.site.hits(`/p${i}`), 1, `/p${i}`);
    assert.ok(one.events.length > 0 && two.events.length > 0, "both crawled");
  });
});

Deno.test("robots.txt: a 404 allows everything, and robots.txt is not a page of the crawl", async () => {
  // No /robots.txt route: the site answers 404.
  await withSite(fanOutRoutes(6), async (f) => {
    await f.startCrawler(link);
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      maxdepth: 1,
      domain_max_pages: 3,
    }));
    await f.settle({ pages: 3 });
    assert.equal(f.site.hits("/robots.txt"), 1);
    // domain_max_pages pages (the seed included): the robots.txt fetch spent none of them.
    assert.deepEqual(pageRequests(f).map((r) => r.path), ["/", "/p0", "/p1"]);
    assert.equal(f.results.length, 3);
    assert.ok(f.results.every((r) => !String(r.url).endsWith("/robots.txt")));
    assert.ok(f.events.every((e) => e.kind === "page"));
  });
});

Deno.test("robots.txt: a 500 keeps the domain waiting until ROBOTSTXT_RETRY_SEC, then it is crawled", async () => {
  const retrySec = 2;
  await withSite({
    "/robots.txt": (_req, ctx) =>
      ctx.hits === 1
        ? new Response("down", { status: 500 })
        : new Response("User-agent: *\nDisallow: /no\n", { headers: TEXT }),
    "/": { body: '<a href="/yes">y</a><a href="/no">n</a>' },
    "/yes": { body: "yes" },
    "/no": { body: "no" },
  }, async (f) => {
    await f.startCrawler(link, { ROBOTSTXT_RETRY_SEC: retrySec });
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: 2 });
    const log = f.site.requests.map((r) => r.path);
    assert.deepEqual(log, ["/robots.txt", "/robots.txt", "/", "/yes"], "no page before");
    const [first, second] = f.site.requests;
    // The second look waited for the retry entry to expire (the domain was not polled).
    assert.ok(second.time - first.time >= retrySec * 1000 - 100, `${second.time - first.time}`);
    assert.equal(f.site.hits("/no"), 0, "then its rules apply");
  });
});

Deno.test("robots.txt: an unreachable one keeps the domain waiting, RETRY_TIMES times at most", async () => {
  await withSite({}, async (f) => {
    await f.startCrawler(link, { ROBOTSTXT_RETRY_SEC: 1, RETRY_TIMES: 1 });
    // A free port on loopback: connection refused, for robots.txt and the page alike.
    const port = freePort();
    const seededAt = Date.now();
    try {
      await f.seed(seedRequest({ url: `http://127.0.0.1:${port}/x`, spiderid: f.spiderName }));
      await f.settle();
      // robots.txt failed twice (a second apart), then the page was let through: it failed on
      // its own and was given up after RETRY_TIMES, instead of waiting forever.
      assert.deepEqual(f.events.map((e) => e.kind), ["retry", "gave_up"]);
      assert.ok(Date.now() - seededAt >= 1000, "the domain waited ROBOTSTXT_RETRY_SEC");
    } finally {
      await deleteKeysContaining(f.redis, `127.0.0.1:${port}`);
    }
  });
});

Deno.test("robots.txt: Crawl-delay spaces the pops of every crawler, whatever QUEUE_HITS", async () => {
  const delaySec = 1;
  const routes = {
    ...fanOutRoutes(4),
    "/robots.txt": { headers: TEXT, body: `User-agent: *\nCrawl-delay: ${delaySec}\n` },
  };
  await withSite(routes, async (f) => {
    // 100 pops a second would take every page at once without the floor.
    const throttled = {
      THROTTLE_ENABLED: true,
      QUEUE_HITS: 100,
      QUEUE_WINDOW: 1,
      QUEUE_MODERATED: false,
    };
    await f.startCrawler(link, throttled);
    await f.startCrawler(link, throttled);
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: 5 });
    const times = pageRequests(f).map((r) => r.time);
    assert.equal(times.length, 5);
    // No two page fetches in any window shorter than the delay (minus scheduling jitter).
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(gaps.every((g) => g >= delaySec * 1000 - 200), `gaps ${gaps}`);
    // The robots.txt fetch came first, on the seed's throttle hit; the seed on the next one.
    assert.equal(f.site.requests[0].path, "/robots.txt");
    assert.ok(times[0] - f.site.requests[0].time >= delaySec * 1000 - 200);
  });
});

Deno.test("robots.txt: ROBOTSTXT_OBEY=false fetches no robots.txt and obeys none", async () => {
  await withSite({
    "/robots.txt": { headers: TEXT, body: "User-agent: *\nDisallow: /\n" },
    "/": { body: "root" },
  }, async (f) => {
    await f.startCrawler(link, { ROBOTSTXT_OBEY: false });
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName }));
    await f.settle({ pages: 1 });
    assert.deepEqual(f.site.requests.map((r) => r.path), ["/"]);
  });
});
