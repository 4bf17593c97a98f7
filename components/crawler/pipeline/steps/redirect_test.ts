import assert from "node:assert/strict";
import { redirectRequest, redirectTarget } from "./redirect.ts";
import { followRequest, type QueuedRequest } from "../../spider.ts";

function page(location: string | undefined, responseUrl = "http://example.com/a/b?q=1") {
  const headers: Record<string, string[]> = location === undefined ? {} : { location: [location] };
  return { headers, responseUrl };
}

function seed(over: Partial<QueuedRequest> = {}): QueuedRequest {
  return {
    url: "http://www.example.com/start",
    appid: "app",
    crawlid: "c1",
    spiderid: "link",
    priority: 1,
    maxdepth: 2,
    ...over,
  } as QueuedRequest;
}

Deno.test("`redirectTarget()` resolves the Location against the response URL", () => {
  assert.equal(redirectTarget(page("/x")), "http://example.com/x");
  assert.equal(redirectTarget(page("c")), "http://example.com/a/c");
  assert.equal(redirectTarget(page("../d?e=1#frag")), "http://example.com/d?e=1", "no fragment");
  assert.equal(redirectTarget(page("//other.org/p")), "http://other.org/p");
  assert.equal(
    redirectTarget(page("https://other.org/p", "https://x.org/")),
    "https://other.org/p",
  );
  assert.equal(redirectTarget(page(" /spaced ")), "http://example.com/spaced");
});

Deno.test("`redirectTarget()` refuses what is not an http(s) URL", () => {
  assert.equal(redirectTarget(page(undefined)), null);
  for (const bad of ["mailto:x@y.z", "javascript:alert(1)", "ftp://example.com/", "http://[::1"]) {
    assert.equal(redirectTarget(page(bad)), null, bad);
  }
});

Deno.test("`redirectRequest()` keeps depth and fields, counts the hop and records the chain", () => {
  const req = seed({ curdepth: 1, retry_times: 2, dont_filter: true, attrs: { k: "v" } });
  const first = redirectRequest(req, { status: 301, responseUrl: req.url }, "http://b.org/1", 2);
  assert.equal(first.url, "http://b.org/1");
  assert.equal(first.curdepth, 1, "a redirect is not a link");
  assert.equal(first.priority, 3);
  assert.equal(first.redirect_times, 1);
  assert.deepEqual(first.redirect_urls, [req.url]);
  assert.deepEqual(first.redirect_reasons, [301]);
  assert.equal(first.retry_times, undefined, "retries start again");
  assert.equal(first.dont_filter, undefined, "the target goes through the dupefilter");
  assert.deepEqual(first.attrs, { k: "v" });
  assert.equal(first.cookie_domain, undefined, "no cookie: no scope to record");

  const second = redirectRequest(
    first,
    { status: 302, responseUrl: first.url },
    "http://c.org/",
    0,
  );
  assert.equal(second.redirect_times, 2);
  assert.deepEqual(second.redirect_urls, [req.url, "http://b.org/1"]);
  assert.deepEqual(second.redirect_reasons, [301, 302]);
  assert.equal(second.priority, 3);
});

Deno.test("`redirectRequest()` keeps the crawl cookie scoped to the seed's domain", () => {
  const req = seed({ cookie: "a=1" });
  const next = redirectRequest(req, { status: 302, responseUrl: req.url }, "http://other.org/", 2);
  assert.equal(next.cookie, "a=1");
  assert.equal(next.cookie_domain, "example.com");
  const again = redirectRequest(next, { status: 302, responseUrl: next.url }, "http://x.net/", 2);
  assert.equal(again.cookie_domain, "example.com");
});

Deno.test("`followRequest()` records the cookie scope and resets the redirect chain", () => {
  const redirected = redirectRequest(
    seed({ cookie: "a=1" }),
    { status: 302, responseUrl: "http://www.example.com/start" },
    "http://www.example.com/landing",
    2,
  );
  const child = followRequest(redirected, "http://other.org/link");
  assert.equal(child.cookie_domain, "example.com");
  assert.equal(child.curdepth, 1);
  assert.equal(child.redirect_times, undefined);
  assert.equal(child.redirect_urls, undefined);
  assert.equal(child.redirect_reasons, undefined);
  const grandchild = followRequest(child, "http://third.net/");
  assert.equal(grandchild.cookie_domain, "example.com", "the seed's, not the parent's own");
  assert.equal(followRequest(seed(), "http://x.org/").cookie_domain, undefined);
});
