/**
 * A crawl whose `allow_regex` is catastrophic for a backtracking engine (`(a+)+$`, against
 * links of 40 `a`s and a `!`: about 2^40 steps per link for JavaScript's RegExp) costs the
 * cluster nothing special: another crawl on the same crawler keeps its pace. The pages per
 * second of each crawl are measured and logged; the assertions are that both crawls finish,
 * every page once, and that the hostile links were filtered (never fetched).
 *
 * @module
 */

import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import type { Route, SiteRequestLogEntry } from "../site.ts";
import link from "../../components/crawler/spiders/link.ts";

const A40 = "a".repeat(40);
const PAGES = 30;
const DELAY_MS = 20;

const page = (links: string[]): Route => ({
  body: links.map((href, i) => `<a href="${href}">link ${i}</a>`).join("\n"),
  delayMs: DELAY_MS,
});

/**
 * Two benign fan-outs (`/b0/`, `/b/`: a seed and {@linkcode PAGES} pages) and a hostile one:
 * `/h/` links to {@linkcode PAGES} pages ending in 40 `a`s (which `(a+)+$` allows) and as many
 * ending in `!` (which it refuses after the engine looked at them); each of those pages links
 * to {@linkcode PAGES} more `!` links, so the filter runs on every page of the crawl.
 */
function routes(): Record<string, Route> {
  const out: Record<string, Route> = {};
  for (const prefix of ["/b0", "/b"]) {
    out[`${prefix}/`] = page(Array.from({ length: PAGES }, (_, i) => `${prefix}/${i}`));
    for (let i = 0; i < PAGES; i++) out[`${prefix}/${i}`] = page([]);
  }
  out["/h/"] = page(
    Array.from({ length: PAGES }, (_, i) => [`/h/${i}/${A40}`, `/h/${i}/${A40}!`]).flat(),
  );
  for (let i = 0; i < PAGES; i++) {
    out[`/h/${i}/${A40}`] = page(Array.from({ length: PAGES }, (_, j) => `/h/${i}/${j}/${A40}!`));
  }
  return out;
}

/** Pages per second of the requests whose path starts with `prefix`, and their count. */
function pace(requests: SiteRequestLogEntry[], prefix: string) {
  const mine = requests.filter((r) => r.path.startsWith(prefix));
  const spanMs = mine.length > 1 ? mine[mine.length - 1].time - mine[0].time : 0;
  return {
    pages: mine.length,
    pagesPerSec: spanMs > 0 ? Math.round((mine.length - 1) / (spanMs / 1000) * 10) / 10 : null,
    first: mine[0]?.time ?? 0,
    last: mine[mine.length - 1]?.time ?? 0,
  };
}

Deno.test("a crawl with allow_regex (a+)+$ does not slow another crawl down", async () => {
  const f = await CrawlFixture.start({ routes: routes() });
  try {
    await f.startCrawler(link, { CONCURRENT_REQUESTS: 4, CONCURRENT_REQUESTS_PER_DOMAIN: 4 });
    const crawl = (path: string, crawlid: string, extra: Record<string, unknown> = {}) =>
      seedRequest({
        url: f.site.url(path),
        spiderid: f.spiderName,
        crawlid,
        allowed_domains: ["127.0.0.1"],
        maxdepth: 1,
        ...extra,
      });

    // The benign crawl alone: its pace on this machine, now.
    await f.seed(crawl("/b0/", "alone"));
    await f.settle({ pages: PAGES + 1 });
    const alone = pace(f.site.requests, "/b0/");

    // The same crawl again, beside the hostile one.
    await f.seed(crawl("/h/", "hostile", { allow_regex: ["(a+)+$"], maxdepth: 2 }));
    await f.seed(crawl("/b/", "benign"));
    await f.settle({ pages: 3 * PAGES + 3 });
    const benign = pace(f.site.requests, "/b/");
    const hostile = pace(f.site.requests, "/h/");
    const both = pace(f.site.requests.filter((r) => /^\/[bh]\//.test(r.path)), "/");
    console.log(
      `pages/s: benign alone ${alone.pagesPerSec}, benign beside the hostile crawl ` +
        `${benign.pagesPerSec}, hostile ${hostile.pagesPerSec}, both ${both.pagesPerSec} ` +
        `(${DELAY_MS} ms per page, 4 in flight; the hostile crawl ran from +0 to ` +
        `+${hostile.last - hostile.first} ms, the benign one from +${
          benign.first - hostile.first
        }` +
        ` to +${benign.last - hostile.first} ms)`,
    );

    // Both crawls finished: every page fetched once and published once.
    assert.equal(benign.pages, PAGES + 1);
    assert.equal(hostile.pages, PAGES + 1);
    const published = (crawlid: string) => f.results.filter((r) => r.crawlid === crawlid).length;
    assert.equal(published("benign"), PAGES + 1);
    assert.equal(published("hostile"), PAGES + 1);
    // The engine looked at every hostile link and refused it: none was fetched or listed.
    assert.ok(f.site.requests.every((r) => !r.path.endsWith("!")));
    const hostileLinks = f.results
      .filter((r) => r.crawlid === "hostile")
      .flatMap((r) => (r.links as { url: string }[] | undefined) ?? []);
    assert.equal(hostileLinks.length, PAGES, "the seed's 40-a links, nothing ending in '!'");
    // The benign crawl was crawled while the hostile one was: neither waited for the other.
    assert.ok(benign.first < hostile.last, "the benign crawl started before the hostile ended");
  } finally {
    await f.close();
  }
});

Deno.test("a stored request whose regex needs backtracking follows no link and stops no crawler", async () => {
  const f = await CrawlFixture.start({ routes: routes() });
  try {
    await f.startCrawler(link);
    // As a request written before validation refused lookarounds, or by another tool, holds.
    const stored = {
      ...seedRequest({
        url: f.site.url("/b/"),
        spiderid: f.spiderName,
        crawlid: "stored",
        maxdepth: 1,
      }),
      deny_regex: ["^(?!.*/b/1$)"],
    };
    await f.seed(stored);
    await f.settle({ pages: 1 });
    // robots.txt aside (fetched once per origin when ROBOTSTXT_OBEY is on).
    assert.deepEqual(f.requestedPaths().filter((p) => p !== "/robots.txt"), ["/b/"]);
    assert.deepEqual(f.results.map((r) => [r.crawlid, r.links]), [["stored", []]]);
    // The crawler goes on with other crawls.
    await f.seed(seedRequest({ url: f.site.url("/b0/"), spiderid: f.spiderName, maxdepth: 1 }));
    await f.settle({ pages: PAGES + 2 });
    assert.equal(f.site.requests.filter((r) => r.path.startsWith("/b0/")).length, PAGES + 1);
  } finally {
    await f.close();
  }
});
