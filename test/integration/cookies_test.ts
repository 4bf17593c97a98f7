/**
 * Scoped cookies (issue 10): a crawl's `cookie` goes only to its seed's registered domain; the
 * cookies a site sets come back on that crawl's later requests to that site, never to another
 * crawl or domain. "Other domains" are a second site on 127.0.0.2: hosts without a registered
 * domain are their own domain. Checked at the sites' request logs.
 */
import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import { startTestSite, type TestSite } from "../site.ts";
import { CRAWLER_SETTINGS } from "../../components/crawler/settings.ts";
import link from "../../components/crawler/spiders/link.ts";
import { getLogger } from "@logtape/logtape";
import { loadSettings } from "../../lib/config/mod.ts";
import { createPage } from "../../components/crawler/page.ts";
import {
  keepResponseCookies,
  requestCookie,
} from "../../components/crawler/pipeline/cookie_store.ts";
import { RecentKeys } from "../../components/crawler/pipeline/recent_keys.ts";
import { subscribeToWork } from "../../components/crawler/pipeline/work_signal.ts";
import { deleteKeysContaining, eventually, randomName, testRedis } from "../harness.ts";

/** Loopback allowed through the network guard; robots.txt left to its own tests. */
const POLICY: Record<string, unknown> = Object.fromEntries(
  Object.entries({ ALLOW_PRIVATE_ADDRESSES: true, ROBOTSTXT_OBEY: false })
    .filter(([name]) => name in CRAWLER_SETTINGS),
);

const html = (...links: string[]) => links.map((l) => `<a href="${l}">${l}</a>`).join("\n");

/** `path → Cookie header` of every request a site received (null: no cookie). */
const cookiesAt = (site: TestSite) => site.requests.map((r) => [r.path, r.cookie]);

/** Answers `body` with one Set-Cookie header per entry of `cookies`. */
function setting(cookies: string[], body: string, status = 200, location?: string): () => Response {
  return () => {
    const headers = new Headers({ "content-type": "text/html" });
    for (const c of cookies) headers.append("set-cookie", c);
    if (location) headers.set("location", location);
    return new Response(status >= 300 ? null : body, { status, headers });
  };
}

Deno.test("a crawl's cookie goes to its seed's domain only, through links and redirects", async () => {
  const other = await startTestSite({
    hostname: "127.0.0.2",
    routes: {
      "/x": { body: "x" },
      "/y": { body: "y" },
    },
  });
  try {
    const f = await CrawlFixture.start({
      routes: {
        "/": { body: html("/page", other.url("/x"), "/to-other") },
        "/page": { body: "page" },
        "/to-other": { redirect: other.url("/y") },
      },
    });
    try {
      await f.startCrawler(link, POLICY);
      await f.seed(seedRequest({
        url: f.site.url("/"),
        spiderid: f.spiderName,
        maxdepth: 1,
        cookie: "session=abc; Path=/",
      }));
      await f.settle({ pages: 4 });
      assert.deepEqual(cookiesAt(f.site).sort(), [
        ["/", "session=abc"],
        ["/page", "session=abc"],
        ["/to-other", "session=abc"],
      ]);
      assert.deepEqual(cookiesAt(other).sort(), [["/x", null], ["/y", null]]);
    } finally {
      await f.close();
    }
  } finally {
    await other.close();
  }
});

Deno.test("cookies a site sets come back to it in the same crawl only", async () => {
  const other = await startTestSite({
    hostname: "127.0.0.2",
    routes: {
      "/o": setting(["o=1; Path=/"], html("/o2")),
      "/o2": { body: "o2" },
    },
  });
  try {
    const f = await CrawlFixture.start({
      routes: {
        // A redirect that sets a cookie, as a login does.
        "/login": setting(["sid=s1; Path=/; HttpOnly"], "", 302, "/home"),
        "/home": { body: html("/after", other.url("/o")) },
        "/after": { body: html("/gone") },
        "/gone": setting(["sid=; Max-Age=0; Path=/"], html("/last")),
        "/last": { body: "last" },
        "/other-crawl": { body: "other crawl" },
      },
    });
    try {
      await f.startCrawler(link, POLICY);
      await f.seed(seedRequest({ url: f.site.url("/login"), spiderid: f.spiderName, maxdepth: 4 }));
      await f.settle();
      // Set by the 302 and sent with the redirect's own request, then with every link, until
      // the site expires it; the other host gets none of it, but keeps its own.
      assert.deepEqual(cookiesAt(f.site), [
        ["/login", null],
        ["/home", "sid=s1"],
        ["/after", "sid=s1"],
        ["/gone", "sid=s1"],
        ["/last", null],
      ]);
      assert.deepEqual(cookiesAt(other), [["/o", null], ["/o2", "o=1"]]);

      // Another crawl of the same site starts without them.
      await f.seed(seedRequest({
        url: f.site.url("/other-crawl"),
        spiderid: f.spiderName,
        crawlid: "crawl2",
      }));
      await f.settle();
      const later = new Map(cookiesAt(f.site).slice(5) as [string, string | null][]);
      assert.deepEqual([...later], [["/other-crawl", null]]);
    } finally {
      await f.close();
    }
  } finally {
    await other.close();
  }
});

Deno.test("a cookie one crawler stores reaches another that remembered the jar as empty", async () => {
  const redis = testRedis();
  const spiderid = randomName("cookies");
  const settings = loadSettings(CRAWLER_SETTINGS, {
    env: {},
    overrides: { COOKIES_ENABLED: true, DUPEFILTER_TIMEOUT: 60 },
  });
  // A memory of a minute: only the announcement can make A read the jar again in this test.
  const a = { redis, spiderid, settings, emptyJars: new RecentKeys(100, 60_000) };
  const b = { redis, spiderid, settings, emptyJars: new RecentKeys(100, 60_000) };
  const stop = new AbortController();
  const req = seedRequest({ url: "http://127.0.0.1:9/a", spiderid, crawlid: "c1" });
  try {
    await subscribeToWork(
      redis,
      spiderid,
      {
        onWork: () => {},
        onCookie: (key) => a.emptyJars.forget(key),
      },
      getLogger(["test"]),
      stop.signal,
    );
    assert.equal(await requestCookie(a, req, "http://127.0.0.1:9/a"), null);
    assert.equal(a.emptyJars.size, 1, "A remembers the jar as empty");
    await keepResponseCookies(
      b,
      req,
      createPage({
        url: "http://127.0.0.1:9/b",
        responseUrl: "http://127.0.0.1:9/b",
        status: 200,
        statusText: "OK",
        headers: { "set-cookie": ["sid=s1; Path=/"] },
        requestHeaders: {},
        body: new Uint8Array(),
        text: "",
        encoding: "utf-8",
        truncated: false,
        contentType: "text/html",
      }),
    );
    await eventually(() => a.emptyJars.size === 0, { what: "A hearing of B's cookie" });
    assert.equal(await requestCookie(a, req, "http://127.0.0.1:9/a"), "sid=s1");
  } finally {
    stop.abort();
    await deleteKeysContaining(redis, spiderid);
    redis.disconnect();
  }
});
