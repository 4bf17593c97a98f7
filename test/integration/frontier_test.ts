import assert from "node:assert/strict";
import { countLeases, PLAIN, SINGLE_SHARD, withSpider } from "./frontier_fixture.ts";
import {
  ackLeases,
  blacklistCrawl,
  enqueueInPipeline,
  enqueueRequests,
  indexedDomains,
  parseLease,
  popLeased,
  priorityFromScore,
  queueSize,
  readBacklog,
  reclaimExpiredLeases,
  registerScripts,
  returnLeases,
  ShardRests,
} from "../../lib/frontier/mod.ts";

const entry = (spiderid: string, domain: string, member: string, priority = 1, fp?: string) => ({
  fingerprint: fp ?? null,
  spiderid,
  domain,
  priority,
  member,
});

Deno.test("priorityFromScore() inverts the enqueue score for any priority", () => {
  for (const priority of [100, 1, 0, -9, -10, -1000]) {
    for (const seq of [2 ** 20, 2 ** 35, 2 ** 36 - 2 ** 20 - 1]) {
      assert.equal(priorityFromScore(-priority * 2 ** 36 + seq), priority);
    }
  }
});

Deno.test("popLeased() gives higher priority first and FIFO among equal priorities", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    // Members chosen so lexicographic order (Scrapy Cluster's tie-break) would be reversed.
    await enqueueRequests(redis, layout, crawl, [
      entry(spider, "ex.com", "z-first"),
      entry(spider, "ex.com", "y-second"),
      entry(spider, "ex.com", "m-high", 5),
      entry(spider, "ex.com", "a-low", -9),
      entry(spider, "ex.com", "x-third"),
    ]);
    const { leases, dropped } = await popLeased(redis, layout, spider, {
      max: 10,
      leaseMs: 60_000,
    });
    // Members are not JSON: they are dropped as invalid, so use JSON members below instead.
    assert.equal(leases.length, 0);
    assert.equal(dropped.length, 5);
    const json = (name: string) => JSON.stringify({ name, appid: "app", crawlid: "c1" });
    await enqueueRequests(redis, layout, crawl, [
      entry(spider, "ex.com", json("z-first")),
      entry(spider, "ex.com", json("y-second")),
      entry(spider, "ex.com", json("m-high"), 5),
      entry(spider, "ex.com", json("a-low"), -9),
      entry(spider, "ex.com", json("x-third")),
    ]);
    const popped = await popLeased(redis, layout, spider, { max: 10, leaseMs: 60_000 });
    assert.deepEqual(popped.leases.map((l) => JSON.parse(l.member).name), [
      "m-high",
      "z-first",
      "y-second",
      "x-third",
      "a-low",
    ]);
    assert.deepEqual(popped.leases.map((l) => l.priority), [5, 1, 1, 1, -9]);
  });
});

Deno.test("enqueueRequests() applies the dupefilter and refreshes its TTL", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const first = await enqueueRequests(redis, layout, crawl, [
      entry(spider, "a.com", "1", 1, "fp1"),
      entry(spider, "a.com", "2", 1, "fp2"),
      entry(spider, "a.com", "1-again", 1, "fp1"),
    ]);
    assert.deepEqual(first, { added: 2, duplicates: 1, rejected: 0 });
    const retry = await enqueueRequests(redis, layout, crawl, [entry(spider, "a.com", "retry", 1)]);
    assert.equal(retry.added, 1, "no fingerprint: the dupefilter is skipped");
    const ttl = await redis.ttl(layout.of("a.com").dupefilter(spider, "c1"));
    assert.ok(ttl > 590 && ttl <= 600);
  });
});

Deno.test("enqueueRequests() rejects stopped, expired and blocked-domain requests", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    await blacklistCrawl(redis, layout, spider, "app", "stopped");
    const stopped = await enqueueRequests(redis, layout, { ...crawl, crawlid: "stopped" }, [
      entry(spider, "a.com", "x"),
    ]);
    assert.deepEqual(stopped, { added: 0, duplicates: 0, rejected: 1 });
    const expired = await enqueueRequests(redis, layout, {
      ...crawl,
      expires: Date.now() / 1000 - 1,
    }, [
      entry(spider, "a.com", "x"),
    ]);
    assert.equal(expired.rejected, 1);
    const blocked = await enqueueRequests(redis, layout, { ...crawl, blockedDomains: ["b.com"] }, [
      entry(spider, "a.com", "ok"),
      entry(spider, "b.com", "no"),
    ]);
    assert.deepEqual(blocked, { added: 1, duplicates: 0, rejected: 1 });
    assert.deepEqual(await indexedDomains(redis, layout, spider), ["a.com"]);
  });
});

Deno.test("enqueueRequests() keeps Scrapy Cluster's domain_max_pages semantics", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const limited = { ...crawl, domainMaxPages: 4 };
    const children = Array.from({ length: 10 }, (_, i) => entry(spider, "a.com", `a${i}`));
    const other = Array.from({ length: 10 }, (_, i) => entry(spider, "b.com", `b${i}`));
    const result = await enqueueRequests(redis, layout, limited, [...children, ...other]);
    // limit − 1 follow-ups per domain: with the seed, exactly `limit` pages.
    assert.equal(await queueSize(redis, layout, spider, "a.com"), 3);
    assert.equal(await queueSize(redis, layout, spider, "b.com"), 3);
    assert.equal(result.rejected, 14);
    const global = await enqueueRequests(redis, layout, {
      ...crawl,
      crawlid: "c2",
      globalPageLimit: 2,
    }, [
      entry(spider, "c.com", "c1"),
      entry(spider, "c.com", "c2"),
      entry(spider, "c.com", "c3"),
    ]);
    assert.equal(global.added, 1);
  });
});

Deno.test("enqueueRequests() hands requests to another spider type's queues", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const other = `${spider}-other`;
    await enqueueRequests(redis, layout, crawl, [entry(other, "a.com", "handed")]);
    assert.deepEqual(await indexedDomains(redis, layout, other), ["a.com"]);
    assert.deepEqual(await indexedDomains(redis, layout, spider), []);
  });
});

Deno.test("enqueueInPipeline() writes many crawls in one round trip", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    registerScripts(redis);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 50; i++) {
      enqueueInPipeline(pipeline, layout, { ...crawl, crawlid: `c${i}` }, [
        entry(spider, `d${i}.com`, `m${i}`, 1, "same-fp"),
      ]);
    }
    const results = await pipeline.exec();
    assert.equal(results?.length, 50);
    assert.ok(results?.every(([err, r]) => err === null && (r as number[])[0] === 1));
    assert.equal((await indexedDomains(redis, layout, spider)).length, 50);
  }, PLAIN); // a pipeline is one node's (the kafka-monitor's batches: see its own tests)
});

Deno.test("popLeased() takes turns across domains and honours per-domain caps and skips", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const json = (d: string, i: number) => JSON.stringify({ appid: "app", crawlid: "c1", d, i });
    for (const d of ["a.com", "b.com", "c.com"]) {
      await enqueueRequests(
        redis,
        layout,
        crawl,
        Array.from({ length: 5 }, (_, i) => entry(spider, d, json(d, i))),
      );
    }
    const first = await popLeased(redis, layout, spider, {
      max: 4,
      perDomain: 2,
      leaseMs: 60_000,
      skipDomains: ["c.com"],
    });
    assert.deepEqual(first.leases.map((l) => l.domain), ["a.com", "a.com", "b.com", "b.com"]);
    // Served domains move behind: c.com comes first now.
    const second = await popLeased(redis, layout, spider, {
      max: 2,
      perDomain: 1,
      leaseMs: 60_000,
    });
    assert.deepEqual(second.leases.map((l) => l.domain), ["c.com", "a.com"]);
    assert.equal(await countLeases(redis, layout, spider), 6);
    await ackLeases(redis, layout, spider, first.leases.map((l) => l.id));
    assert.equal(await countLeases(redis, layout, spider), 2);
  }, SINGLE_SHARD); // the order across domains is one shard's index order
});

Deno.test("popLeased() drops requests of stopped crawls and expired requests", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const past = Math.floor(Date.now() / 1000) - 5;
    await enqueueRequests(redis, layout, crawl, [
      entry(spider, "a.com", JSON.stringify({ appid: "app", crawlid: "gone", n: 1 })),
      entry(spider, "a.com", JSON.stringify({ appid: "app", crawlid: "old", expires: past })),
      entry(spider, "a.com", JSON.stringify({ appid: "app", crawlid: "ok" })),
    ]);
    await blacklistCrawl(redis, layout, spider, "app", "gone");
    const { leases, dropped } = await popLeased(redis, layout, spider, { max: 10, leaseMs: 1000 });
    assert.deepEqual(leases.map((l) => JSON.parse(l.member).crawlid), ["ok"]);
    assert.deepEqual(dropped.map((d) => d.reason).sort(), ["expired", "stopped"]);
    assert.deepEqual(
      await indexedDomains(redis, layout, spider),
      [],
      "empty domain leaves the index",
    );
  });
});

Deno.test("returnLeases() puts a request back in its place exactly once", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const json = (i: number) => JSON.stringify({ appid: "app", crawlid: "c1", i });
    await enqueueRequests(
      redis,
      layout,
      crawl,
      [0, 1, 2].map((i) => entry(spider, "a.com", json(i))),
    );
    const { leases } = await popLeased(redis, layout, spider, { max: 1, leaseMs: 60_000 });
    assert.equal(await returnLeases(redis, layout, spider, leases), 1);
    assert.equal(await returnLeases(redis, layout, spider, leases), 0, "second return is a no-op");
    const again = await popLeased(redis, layout, spider, { max: 3, leaseMs: 60_000 });
    assert.deepEqual(again.leases.map((l) => JSON.parse(l.member).i), [0, 1, 2]);
    assert.deepEqual(parseLease(again.leases[0].id), again.leases[0]);
  });
});

Deno.test("reclaimExpiredLeases() returns the requests of a crawler that died", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const json = (i: number) => JSON.stringify({ appid: "app", crawlid: "c1", i });
    await enqueueRequests(redis, layout, crawl, [0, 1].map((i) => entry(spider, "a.com", json(i))));
    const now = Date.now();
    const { leases } = await popLeased(redis, layout, spider, {
      max: 2,
      leaseMs: 1_000,
      nowMs: now,
    });
    assert.equal(leases.length, 2);
    assert.equal(await reclaimExpiredLeases(redis, layout, spider, { nowMs: now + 500 }), 0);
    await ackLeases(redis, layout, spider, [leases[0].id]);
    assert.equal(await reclaimExpiredLeases(redis, layout, spider, { nowMs: now + 2_000 }), 1);
    const back = await popLeased(redis, layout, spider, { max: 5, leaseMs: 1_000 });
    assert.deepEqual(back.leases.map((l) => JSON.parse(l.member).i), [1]);
  });
});

Deno.test("the frontier keeps backlog counters per crawl, domain and priority", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const counts = async () =>
      Object.fromEntries(
        (await readBacklog(redis, layout, spider, "app"))
          .map((e) => [`${e.crawlid} ${e.domain} ${e.priority}`, e.count])
          .sort(),
      );
    const json = (i: number) => JSON.stringify({ appid: "app", crawlid: "c1", i });
    await enqueueRequests(redis, layout, crawl, [
      entry(spider, "a.com", json(1), 5),
      entry(spider, "a.com", json(2), 5),
      entry(spider, "b.com", json(3), -9),
      entry(spider, "z.com", json(4), 0),
      entry(spider, "z.com", json(5), 0),
    ]);
    assert.deepEqual(await counts(), { "c1 a.com 5": 2, "c1 b.com -9": 1, "c1 z.com 0": 2 });
    // Priority 0 leaves its counter on pop (a "-0" field once kept it pending for ever).
    const zero = await popLeased(redis, layout, spider, {
      max: 1,
      leaseMs: 1000,
      skipDomains: ["a.com", "b.com"],
    });
    assert.equal(zero.leases[0].priority, 0);
    assert.deepEqual(await counts(), { "c1 a.com 5": 2, "c1 b.com -9": 1, "c1 z.com 0": 1 });
    await returnLeases(redis, layout, spider, zero.leases);
    assert.deepEqual(await counts(), { "c1 a.com 5": 2, "c1 b.com -9": 1, "c1 z.com 0": 2 });
    await popLeased(redis, layout, spider, {
      max: 2,
      leaseMs: 1000,
      skipDomains: ["a.com", "b.com"],
    });
    assert.deepEqual(await redis.hgetall(layout.of("a.com").backlog(spider, "a.com")), {
      "app\tc1\t5": "2",
    });
    const { leases } = await popLeased(redis, layout, spider, {
      max: 2,
      perDomain: 2,
      leaseMs: 1000,
      skipDomains: ["b.com"],
    });
    assert.equal(leases.length, 2);
    assert.deepEqual(await counts(), { "c1 b.com -9": 1 });
    await returnLeases(redis, layout, spider, leases.slice(0, 1));
    assert.deepEqual(await counts(), { "c1 a.com 5": 1, "c1 b.com -9": 1 });
  });
});

Deno.test("popLeased() with ShardRests leaves a shard that had nothing ready alone for restMs", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const rests = new ShardRests(1_000);
    const now = Date.now();
    const pop = (nowMs: number) =>
      popLeased(redis, layout, spider, { max: 1, leaseMs: 60_000, rests, nowMs });
    assert.equal((await pop(now)).leases.length, 0);
    const member = JSON.stringify({ appid: "app", crawlid: "c1" });
    await enqueueRequests(redis, layout, crawl, [entry(spider, "a.com", member)]);
    assert.equal((await pop(now + 500)).leases.length, 0, "its shard still rests");
    assert.equal((await pop(now + 1_000)).leases.length, 1);
  });
});
