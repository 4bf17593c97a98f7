/**
 * The kafka-monitor's batch writes (components/kafka-monitor/process.ts): a batch's crawl
 * requests go to Redis as one enqueue per crawl, its stats as one increment per name, and a
 * write Redis refuses still fails only the request it belongs to.
 *
 * @module
 */

import assert from "node:assert/strict";
import { withFixture } from "../kafka_monitor_fixture.ts";
import { queueKey, timeoutKey } from "../../lib/frontier/mod.ts";
import { statsKey, statValue } from "../../lib/stats/mod.ts";

Deno.test("processMessages() stores a batch of interleaved crawls as each request alone would", async () => {
  await withFixture(async ({ redis, spider, stats, process }) => {
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const raw: string[] = [];
    for (let i = 0; i < 60; i++) {
      raw.push(JSON.stringify({
        url: `http://site${i % 30 % 4}.com/p/${i % 30}`, // i and i + 30: one URL, one crawl
        appid: "app",
        crawlid: `c${i % 3}`,
        spiderid: spider,
        priority: 1 + i % 5,
        // The timeout job keeps the last `expires` of its crawl, as one write per request did.
        ...(i % 3 === 0 ? { expires: expires + i } : {}),
      }));
    }
    raw.push("{not json", JSON.stringify({ url: "http://site0.com/x", appid: "app" }));
    const outcomes = await process(raw);
    assert.equal(outcomes.filter((o) => o.status === "handled").length, 60);
    assert.deepEqual(outcomes.slice(60).map((o) => o.status), ["failed", "failed"]);
    // i and i + 30 are the same URL in the same crawl: one of each pair is a duplicate.
    let queued = 0;
    for (let d = 0; d < 4; d++) queued += await redis.zcard(queueKey(spider, `site${d}.com`));
    assert.equal(queued, 30);
    for (let c = 0; c < 3; c++) assert.equal(await redis.scard(`${spider}:dupefilter:c${c}`), 10);
    assert.equal(await redis.get(timeoutKey(spider, "app", "c0")), String(expires + 57));
    assert.equal(await redis.exists(timeoutKey(spider, "app", "c1")), 0);
    // Highest priority first, first-in-first-out among equals, within a crawl's requests.
    const members = await redis.zrange(queueKey(spider, "site0.com"), "0", "-1");
    const order = members.map((m) => JSON.parse(m)).map((r) => [r.priority ?? 1, r.url]);
    assert.equal(order.length, 8);
    const expected = [...order].sort((a, b) => Number(b[0]) - Number(a[0]));
    assert.deepEqual(order, expected);
    assert.equal(await statValue(redis, statsKey(stats.component, "total", 900)), 62);
    assert.equal(await statValue(redis, statsKey(stats.component, "fail", 900)), 2);
    assert.equal(await statValue(redis, statsKey(stats.component, "ScraperHandler", 900)), 60);
  });
});

Deno.test("processMessages(): a write Redis refuses fails its own request; the crawl's others are stored", async () => {
  await withFixture(async ({ redis, spider, process }) => {
    // A domain queue of the wrong type: the crawl's one enqueue call stops there.
    await redis.set(queueKey(spider, "bad.com"), "not a sorted set");
    const urls = ["http://a.com/1", "http://bad.com/1", "http://b.com/1", "http://c.com/1"];
    const outcomes = await process(
      urls.map((url) => JSON.stringify({ url, appid: "app", crawlid: "c", spiderid: spider })),
    );
    assert.deepEqual(outcomes.map((o) => o.status), ["handled", "failed", "handled", "handled"]);
    assert.match((outcomes[1] as { reason: string }).reason, /^Redis refused the write: WRONGTYPE/);
    for (const domain of ["a.com", "b.com", "c.com"]) {
      assert.equal(await redis.zcard(queueKey(spider, domain)), 1, domain);
    }
    assert.equal(await redis.get(queueKey(spider, "bad.com")), "not a sorted set");
    // Its fingerprint is not left in the dupefilter: fed again once the key is fixed, it is stored.
    assert.equal(await redis.scard(`${spider}:dupefilter:c`), 3);
    await redis.del(queueKey(spider, "bad.com"));
    const again = await process([
      JSON.stringify({ url: urls[1], appid: "app", crawlid: "c", spiderid: spider }),
    ]);
    assert.deepEqual(again, [{ status: "handled", plugin: "ScraperHandler" }]);
    assert.equal(await redis.zcard(queueKey(spider, "bad.com")), 1);
  });
});
