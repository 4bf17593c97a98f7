import assert from "node:assert/strict";
import { OffsetTracker } from "./offsets.ts";
import { matches } from "./lanes.ts";
import { backoffMs } from "./backoff.ts";
import { signBody } from "./signature.ts";
import { webhookId } from "../../lib/api/webhook_keys.ts";

Deno.test("offsets: a partition commits only past messages every hook finished", () => {
  const t = new OffsetTracker();
  const a = t.track(3, "10", 1);
  const b = t.track(3, "11", 0); // no hook: done at once, but behind 10
  const c = t.track(3, "12", 2);
  b();
  assert.equal(t.committable(3), null);
  a();
  a(); // extra calls are ignored
  assert.equal(t.committable(3), "12");
  c();
  assert.equal(t.committable(3), null);
  c();
  assert.equal(t.committable(3), "13");
  assert.equal(t.pending(), 0);
});

Deno.test("offsets: partitions are independent", () => {
  const t = new OffsetTracker();
  t.track(0, "1", 1);
  t.track(1, "7", 1)();
  assert.equal(t.committable(0), null);
  assert.equal(t.committable(1), "8");
});

Deno.test("matches: a hook without crawlid takes every crawl of its app", () => {
  assert.ok(matches({ crawlid: null }, "any"));
  assert.ok(matches({ crawlid: "c1" }, "c1"));
  assert.ok(!matches({ crawlid: "c1" }, "c2"));
});

Deno.test("backoff doubles up to its cap", () => {
  assert.deepEqual([1, 2, 3, 4, 50].map((n) => backoffMs(n, 0.5, 3)), [
    500,
    1000,
    2000,
    3000,
    3000,
  ]);
});

Deno.test("signature: HMAC-SHA256 of the exact bytes", async () => {
  const a = await signBody("k", "[1]");
  assert.match(a, /^sha256=[0-9a-f]{64}$/);
  assert.notEqual(a, await signBody("k", "[1] "));
  assert.equal(a, await signBody("k", new TextEncoder().encode("[1]")));
});

Deno.test("webhookId: stable, colon-free, per url and crawlid", async () => {
  const id = await webhookId("http://a.com/h", null);
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(id, await webhookId("http://a.com/h"));
  assert.notEqual(id, await webhookId("http://a.com/h", "c1"));
});
