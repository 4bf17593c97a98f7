/**
 * Redirects through the frontier (issue 10): each hop is a request of its own, enqueued through
 * the dupefilter and popped under the domain throttle, at most REDIRECT_MAX_TIMES in a chain;
 * the final page's item carries the chain's first URL and its own response URL. Measured at
 * the local site's request log.
 */
import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import type { Route } from "../site.ts";
import { queueKey } from "../../lib/frontier/mod.ts";
import { statsKey } from "../../lib/stats/mod.ts";
import { CRAWLER_SETTINGS } from "../../components/crawler/settings.ts";
import link from "../../components/crawler/spiders/link.ts";

/**
 * The local site is on loopback: the network guard must let it through. robots.txt is left to
 * its own tests (its fetch would show in the site's log and spend a throttle hit). Rows the
 * crawler does not have (yet) are left out.
 */
const POLICY: Record<string, unknown> = Object.fromEntries(
  Object.entries({ ALLOW_PRIVATE_ADDRESSES: true, ROBOTSTXT_OBEY: false })
    .filter(([name]) => name in CRAWLER_SETTINGS),
);

const html = (...links: string[]) => links.map((l) => `<a href="${l}">${l}</a>`).join("\n");

/** `/chain/<i>` redirects to `/chain/<i+1>` up to `/chain/<last>`, a page linking to `/leaf`. */
function chainRoutes(last: number, statuses = [302, 301, 307, 308, 303]): Record<string, Route> {
  const routes: Record<string, Route> = {
    [`/chain/${last}`]: { body: html("/leaf") },
    "/leaf": { body: "leaf" },
  };
  for (let i = 0; i < last; i++) {
    routes[`/chain/${i}`] = { status: statuses[i % statuses.length], redirect: `/chain/${i + 1}` };
  }
  return routes;
}

Deno.test("a redirect to an already-crawled page is not fetched again", async () => {
  const f = await CrawlFixture.start({
    routes: {
      "/": { body: html("/d1/0", "/redirect-to-d1-0") },
      "/redirect-to-d1-0": { redirect: "/d1/0" },
      "/d1/0": { body: "d1/0" },
    },
  });
  try {
    await f.startCrawler(link, POLICY);
    await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: 2 });
    assert.deepEqual(f.requestedPaths(), ["/", "/d1/0", "/redirect-to-d1-0"], "each path once");
    const redirects = f.events.filter((e) => e.kind === "redirect");
    assert.deepEqual(redirects, [{
      kind: "redirect",
      url: f.site.url("/redirect-to-d1-0"),
      status: 302,
      target: f.site.url("/d1/0"),
      enqueued: false,
    }]);
    const items = f.results.map((r) => [new URL(String(r.url)).pathname, r.status_code]).sort();
    assert.deepEqual(items, [["/", 200], ["/d1/0", 200]], "the 3xx publishes no item");
  } finally {
    await f.close();
  }
});

Deno.test("a redirected page's item has the first url and the final response_url, same depth", async () => {
  const f = await CrawlFixture.start({ routes: chainRoutes(3) });
  try {
    await f.startCrawler(link, POLICY);
    // maxdepth 1: /leaf is crawled only if the three hops did not count as links.
    await f.seed(seedRequest({ url: f.site.url("/chain/0"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: 2 });
    assert.deepEqual(f.requestedPaths(), ["/chain/0", "/chain/1", "/chain/2", "/chain/3", "/leaf"]);
    const byResponse = new Map(f.results.map((r) => [new URL(String(r.response_url)).pathname, r]));
    assert.equal(f.results.length, 2);
    const final = byResponse.get("/chain/3")!;
    assert.equal(final.url, f.site.url("/chain/0"));
    assert.equal(final.response_url, f.site.url("/chain/3"));
    assert.equal(final.status_code, 200);
    const leaf = byResponse.get("/leaf")!;
    assert.equal(leaf.url, f.site.url("/leaf"), "a link from a redirected page starts afresh");
    assert.deepEqual(
      f.events.filter((e) => e.kind === "redirect").map((e) => e.kind === "redirect" && e.status),
      [302, 301, 307],
    );
  } finally {
    await f.close();
  }
});

Deno.test("a redirect chain stops at REDIRECT_MAX_TIMES: given up, fail counted, no item", async () => {
  const loop: Route = (req) => {
    const n = /^\/loop\/(\d+)$/.exec(new URL(req.url).pathname)?.[1];
    if (n === undefined) return new Response("not here", { status: 404 });
    return new Response(null, { status: 302, headers: { location: `/loop/${Number(n) + 1}` } });
  };
  const f = await CrawlFixture.start({
    routes: { "/self": { redirect: "/self" } },
    fallback: loop,
  });
  try {
    const crawler = await f.startCrawler(link, { ...POLICY, REDIRECT_MAX_TIMES: 3 });
    await f.seed(seedRequest({ url: f.site.url("/loop/0"), spiderid: f.spiderName }));
    await f.settle();
    // Three redirects followed; the fourth 3xx is one too many.
    assert.deepEqual(f.requestedPaths(), ["/loop/0", "/loop/1", "/loop/2", "/loop/3"]);
    assert.deepEqual(f.events.map((e) => e.kind), ["redirect", "redirect", "redirect", "gave_up"]);
    assert.match(String((f.events[3] as { reason: string }).reason), /more than 3 redirects/);
    assert.equal(f.results.length, 0);

    // A page redirecting to itself stops at once: the dupefilter has seen it.
    await f.seed(seedRequest({ url: f.site.url("/self"), spiderid: f.spiderName }));
    await f.settle();
    assert.equal(f.site.hits("/self"), 1);

    await crawler.stop(); // writes the stats
    const fail = statsKey("crawler", `testhost:${f.spiderName}:fail`, "lifetime");
    assert.equal(await f.redis.get(fail), "1");
  } finally {
    await f.close();
  }
});

Deno.test("a redirect chain spends one throttle hit per fetch", async () => {
  const hits = 3;
  const f = await CrawlFixture.start({ routes: chainRoutes(5) });
  try {
    // A budget of 3 pops per minute: the whole test runs inside one window.
    await f.startCrawler(link, {
      ...POLICY,
      THROTTLE_ENABLED: true,
      QUEUE_HITS: hits,
      QUEUE_WINDOW: 60,
      QUEUE_MODERATED: false,
    });
    await f.seed(seedRequest({ url: f.site.url("/chain/0"), spiderid: f.spiderName }));
    const queue = queueKey(f.spiderName, "127.0.0.1");
    // The budget is spent, and the next hop waits in the queue for the next window ...
    for (
      let i = 0;
      i < 100 && !(f.site.requests.length >= hits && await f.redis.zcard(queue));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(f.site.requests.length, hits);
    // ... while the crawler goes on polling (IDLE_POLL_MS 50): nothing more reaches the site.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(f.site.requests.map((r) => r.path), ["/chain/0", "/chain/1", "/chain/2"]);
    const [waiting] = await f.redis.zrange(queue, "0", "-1");
    assert.equal(JSON.parse(waiting).url, f.site.url("/chain/3"));
    assert.deepEqual(f.results, [], "no item before the chain ends");
  } finally {
    await f.close();
  }
});
