import assert from "node:assert/strict";
import { loadSettings } from "../../../lib/config/mod.ts";
import { CRAWLER_SETTINGS } from "../settings.ts";
import { CrawlerThrottle } from "./throttle.ts";

function throttle(overrides: Record<string, unknown> = {}) {
  const settings = loadSettings(CRAWLER_SETTINGS, {
    env: {},
    overrides: { QUEUE_HITS: 10, QUEUE_WINDOW: 60, ...overrides },
  });
  return new CrawlerThrottle(settings, "link");
}

Deno.test("`CrawlerThrottle.setCrawlDelay()` floors a domain at one pop per delay", () => {
  const t = throttle({ QUEUE_HITS: 100, QUEUE_WINDOW: 1 });
  t.setCrawlDelay("a.com", "http:a.com:80", 2);
  assert.deepEqual(t.spec.domains["a.com"], [2, 1]);
  // The largest delay of the domain's origins.
  t.setCrawlDelay("a.com", "https:a.com:443", 5);
  assert.deepEqual(t.spec.domains["a.com"], [5, 1]);
  t.setCrawlDelay("a.com", "https:a.com:443", null);
  assert.deepEqual(t.spec.domains["a.com"], [2, 1]);
  assert.equal(t.crawlDelay("a.com"), 2);
  t.setCrawlDelay("a.com", "http:a.com:80", null);
  assert.equal(t.spec.domains["a.com"], undefined);
  assert.equal(t.crawlDelay("a.com"), 0);
});

Deno.test("`CrawlerThrottle.setCrawlDelay()` never loosens a slower budget or a pause", () => {
  const t = throttle(); // 10 per 60 s: one per 6 s
  t.setCrawlDelay("a.com", "http:a.com:80", 1);
  assert.deepEqual(t.spec.domains["a.com"], [6, 1]);
  t.setDomainConfig({
    blacklist: [],
    domains: { "a.com": { window: 60, hits: 30, scale: 1 }, "b.com": { window: 60, hits: 0 } },
  });
  assert.deepEqual(t.spec.domains["a.com"], [2, 1]);
  t.setCrawlDelay("b.com", "http:b.com:80", 10);
  assert.deepEqual(t.spec.domains["b.com"], [60, 0], "paused stays paused");
});

/** What the loop does: read the spec to pop with; the pop's generation. */
function pop(t: CrawlerThrottle): number {
  assert.ok(t.spec);
  return t.popGeneration;
}

Deno.test("`CrawlerThrottle.hasFloor()` tells a pop made before the floor was known", () => {
  const t = throttle();
  const before = pop(t);
  assert.equal(t.hasFloor("a.com", before), true, "no floor");
  t.setCrawlDelay("a.com", "http:a.com:80", 10);
  assert.equal(t.hasFloor("a.com", before), false, "popped with the old spec");
  const after = pop(t);
  assert.equal(t.hasFloor("a.com", after), true);
  t.setCrawlDelay("a.com", "http:a.com:80", 10); // unchanged: no new spec
  assert.equal(t.hasFloor("a.com", after), true);
  t.setCrawlDelay("a.com", "http:a.com:80", 3); // lower: pops under the higher one are fine
  assert.equal(t.hasFloor("a.com", after), true);
  assert.equal(throttle({ THROTTLE_ENABLED: false }).hasFloor("a.com", 0), true);
});
