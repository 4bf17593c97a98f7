import assert from "node:assert/strict";
import { crawlRequest } from "../../../test/requests.ts";
import { createPage } from "../page.ts";
import type { FetchedPage, QueuedRequest } from "../spider.ts";
import linkSpider, { requestLinks } from "./link.ts";
import wanderingSpider, { createWanderingSpider } from "./wandering.ts";

const HTML = `<html><head><title>t</title></head><body>
  <a href="/one">One</a>
  <a href="two.html">Two</a>
  <a href="http://www.foxnews.com/story">Fox</a>
  <a href="http://notfoxnews.com/">Not fox</a>
  <a href="/report.pdf">Report</a>
  <a href="mailto:x@example.com">Mail</a>
  <a href="/one#again">One again</a>
</body></html>`;

function page(overrides: Partial<FetchedPage> = {}): FetchedPage {
  const text = overrides.text === undefined ? HTML : overrides.text;
  return createPage({
    url: "http://example.com/start",
    responseUrl: "http://www.example.com/dir/index.html",
    status: 200,
    statusText: "OK",
    headers: { "content-type": ["text/html; charset=utf-8"] },
    requestHeaders: { "User-Agent": "test" },
    body: new TextEncoder().encode(text ?? "\u0000binary"),
    text,
    encoding: text === null ? null : "utf-8",
    truncated: false,
    contentType: text === null ? "application/octet-stream" : "text/html",
    ...overrides,
  });
}

function request(overrides: Partial<QueuedRequest> = {}): QueuedRequest {
  // Children may carry priorities below the schema's minimum: set after validation.
  const { priority, ...fields } = overrides;
  return {
    ...crawlRequest({ url: "http://example.com/start", spiderid: "link", maxdepth: 2, ...fields }),
    priority: priority ?? 70,
  };
}

const FOLLOWED = [
  { url: "http://www.example.com/one", text: "One" },
  { url: "http://www.example.com/dir/two.html", text: "Two" },
  { url: "http://www.foxnews.com/story", text: "Fox" },
  { url: "http://notfoxnews.com/", text: "Not fox" },
];

Deno.test("`requestLinks()` applies the request's filters against the final URL", () => {
  assert.deepEqual(requestLinks(page(), request()), FOLLOWED);
  assert.deepEqual(requestLinks(page(), request({ allowed_domains: ["foxnews.com"] })), [
    FOLLOWED[2],
  ]);
  assert.deepEqual(requestLinks(page(), request({ allow_regex: [".*one.*"] })), [FOLLOWED[0]]);
  assert.deepEqual(requestLinks(page(), request({ deny_regex: [".*.com.*"] })), []);
  assert.deepEqual(requestLinks(page(), request({ deny_extensions: ["html"] })), [
    FOLLOWED[0],
    FOLLOWED[2],
    FOLLOWED[3],
    { url: "http://www.example.com/report.pdf", text: "Report" },
  ]);
  assert.deepEqual(requestLinks(page({ text: null }), request()), []);
});

Deno.test("`link` spider follows every allowed link while curdepth < maxdepth", async () => {
  const cases: [Partial<QueuedRequest>, number][] = [
    [{ maxdepth: 0 }, 0],
    [{ maxdepth: 1, curdepth: 1 }, 0],
    [{ maxdepth: 1, curdepth: 2 }, 0],
    [{ maxdepth: 1 }, 4],
    [{ maxdepth: 3, curdepth: 2 }, 4],
    [{ maxdepth: 1, allowed_domains: ["foxnews.com"] }, 1],
    [{ maxdepth: 1, deny_extensions: [] }, 5],
  ];
  for (const [overrides, expected] of cases) {
    const out = await linkSpider.parse(page(), request(overrides));
    assert.equal(out.requests.length, expected, JSON.stringify(overrides));
    assert.deepEqual(
      out.item!.links,
      out.requests.map((r, i) => ({
        url: r.url,
        text: (out.item!.links as { text: string }[])[i].text,
      })),
    );
    assert.equal((out.item!.links as unknown[]).length, expected);
  }
});

Deno.test("`link` spider lists the followed links in the item", async () => {
  const out = await linkSpider.parse(page(), request());
  assert.deepEqual(out.item!.links, FOLLOWED);
  assert.equal(out.item!.body, HTML);
  assert.equal(out.item!.attrs, null);
  assert.equal(out.item!.status_msg, "OK");
  assert.equal(out.item!.encoding, "utf-8");
});

Deno.test("`link` spider's requests inherit the parent's fields, priority − 10, depth + 1", async () => {
  const parent = request({
    priority: 70,
    curdepth: 1,
    maxdepth: 3,
    useragent: "Mozilla/5.0 test",
    cookie: "a=1; b=2",
    attrs: { source: "unit" },
    expires: 1_900_000_000,
    allowed_domains: ["example.com", "foxnews.com"],
    allow_regex: ["."],
    deny_regex: ["never"],
    deny_extensions: ["pdf"],
    domain_max_pages: 10,
    retry_times: 2,
    dont_filter: true,
    custom_field: { kept: true },
  });
  const out = await linkSpider.parse(page(), parent);
  assert.deepEqual(out.requests.map((r) => r.url), [
    "http://www.example.com/one",
    "http://www.example.com/dir/two.html",
    "http://www.foxnews.com/story",
  ]);
  for (const child of out.requests) {
    const { url: _url, priority, curdepth, ...rest } = child;
    assert.equal(priority, 60);
    assert.equal(curdepth, 2);
    const { url: _p, priority: _pp, curdepth: _pc, retry_times, dont_filter, ...inherited } =
      parent;
    assert.equal(retry_times, 2);
    assert.equal(dont_filter, true);
    assert.deepEqual(rest, inherited);
    assert.equal("retry_times" in child, false);
    assert.equal("dont_filter" in child, false);
  }
});

Deno.test("`link` spider yields its item without links for binary pages", async () => {
  const out = await linkSpider.parse(page({ text: null }), request());
  assert.deepEqual(out.requests, []);
  assert.deepEqual(out.item!.links, []);
  assert.equal(out.item!.body, "");
  assert.equal(out.item!.encoding, "binary");
});

Deno.test("`wandering` spider follows exactly one random link and counts steps", async () => {
  const picks: [number, string][] = [
    [0, FOLLOWED[0].url],
    [0.3, FOLLOWED[1].url],
    [0.999, FOLLOWED[3].url],
    [1, FOLLOWED[3].url],
    [-1, FOLLOWED[0].url],
    [NaN, FOLLOWED[0].url],
  ];
  for (const [random, expected] of picks) {
    const spider = createWanderingSpider(() => random);
    const out = await spider.parse(
      page(),
      request({ spiderid: "wandering", step: 4, priority: 55, curdepth: 7, maxdepth: 0 }),
    );
    assert.equal(out.requests.length, 1);
    const [next] = out.requests;
    assert.equal(next.url, expected, String(random));
    assert.equal(next.step, 5);
    // depth and priority unchanged; maxdepth is never checked
    assert.equal(next.priority, 55);
    assert.equal(next.curdepth, 7);
    assert.equal(next.spiderid, "wandering");
    assert.deepEqual(out.item!.links, []);
    assert.deepEqual(out.item!.attrs, { step: 4 });
  }
});

Deno.test("`wandering` spider starts at step 0 and keeps attrs", async () => {
  const spider = createWanderingSpider(() => 0);
  const attrs = { source: "unit" };
  const out = await spider.parse(page(), request({ spiderid: "wandering", attrs }));
  assert.deepEqual(out.item!.attrs, { source: "unit", step: 0 });
  assert.deepEqual(attrs, { source: "unit" }, "the request's attrs are not mutated");
  assert.equal(out.requests[0].step, 1);
  assert.equal(out.requests[0].curdepth, 0);
  assert.deepEqual(out.requests[0].attrs, { source: "unit" });
});

Deno.test("`wandering` spider stops on a page without allowed links", async () => {
  const cases: [Partial<FetchedPage>, Partial<QueuedRequest>][] = [
    [{ text: "<p>no links here</p>" }, {}],
    [{ text: null }, {}],
    [{}, { allowed_domains: ["nowhere.org"] }],
  ];
  for (const [pageOverrides, requestOverrides] of cases) {
    const out = await wanderingSpider.parse(
      page(pageOverrides),
      request({ spiderid: "wandering", ...requestOverrides }),
    );
    assert.deepEqual(out.requests, []);
    assert.ok(out.item);
    assert.deepEqual(out.item.attrs, { step: 0 });
  }
});

Deno.test("`wandering` spider always yields one item and one request on a page with links", async () => {
  for (let i = 0; i < 100; i++) {
    const out = await wanderingSpider.parse(page(), request({ spiderid: "wandering" }));
    assert.ok(out.item);
    assert.equal(out.requests.length, 1);
    assert.ok(FOLLOWED.some((link) => link.url === out.requests[0].url));
  }
});
