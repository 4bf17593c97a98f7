import assert from "node:assert/strict";
import { deleteKeysContaining, randomName, testRedis } from "../harness.ts";
import {
  enqueueRequests,
  FrontierLayout,
  popLeased,
  queueIndexKey,
  type ThrottleSpec,
} from "../../lib/frontier/mod.ts";

/** One shard: Scrapy Cluster's key names, as a plain Redis keeps them. */
const layout = new FrontierLayout(1);

type Client = ReturnType<typeof testRedis>;

const throttle = (over: Partial<ThrottleSpec> = {}): ThrottleSpec => ({
  enabled: true,
  windowSec: 60,
  hits: 3,
  moderated: false,
  keyPrefix: "",
  scheduleAhead: true,
  domains: {},
  blocked: [],
  ...over,
});

async function withQueues(
  domains: Record<string, number>,
  fn: (redis: Client, spider: string, prefix: string) => Promise<void>,
) {
  const redis = testRedis();
  const spider = randomName("spider");
  try {
    for (const [domain, n] of Object.entries(domains)) {
      await enqueueRequests(
        redis,
        layout,
        {
          spiderid: spider,
          appid: "app",
          crawlid: "c",
          expires: 0,
          dupefilterTtlSec: 60,
        },
        Array.from({ length: n }, (_, i) => ({
          fingerprint: null,
          spiderid: spider,
          domain,
          priority: 1,
          member: JSON.stringify({ appid: "app", crawlid: "c", domain, i }),
        })),
      );
    }
    await fn(redis, spider, `${spider}:`);
  } finally {
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
}

const pop = (redis: Client, spider: string, spec: ThrottleSpec, nowMs: number, max = 10) =>
  popLeased(redis, layout, spider, { max, leaseMs: 60_000, throttle: spec, nowMs }).then((r) =>
    r.leases.map((l) => l.domain)
  );

Deno.test("popLeased() allows at most hits pops per window, then schedules the domain", async () => {
  await withQueues({ "a.com": 10 }, async (redis, spider, prefix) => {
    const spec = throttle({ keyPrefix: prefix });
    const t0 = 1_000_000_000_000;
    assert.deepEqual(await pop(redis, spider, spec, t0), ["a.com", "a.com", "a.com"]);
    assert.deepEqual(await pop(redis, spider, spec, t0 + 1_000), []);
    // The domain waits in the index until its oldest hit leaves the window.
    const score = Number(await redis.zscore(queueIndexKey(spider), "a.com"));
    assert.ok(score > t0 + 59_000 && score <= t0 + 60_001, `${score - t0}`);
    assert.deepEqual(await pop(redis, spider, spec, t0 + 30_000), []);
    assert.equal((await pop(redis, spider, spec, t0 + 60_002)).length, 3);
    assert.equal(await redis.zcard(`${prefix}a.com:throttle_window`), 3);
  });
});

Deno.test("popLeased() records no hit when the queue had nothing to give", async () => {
  await withQueues({}, async (redis, spider, prefix) => {
    await redis.zadd(queueIndexKey(spider), 0, "empty.com"); // indexed, but no queue
    assert.deepEqual(await pop(redis, spider, throttle({ keyPrefix: prefix }), Date.now()), []);
    assert.equal(await redis.exists(`${prefix}empty.com:throttle_window`), 0);
    assert.equal(await redis.exists(queueIndexKey(spider)), 0);
  });
});

Deno.test("popLeased() spaces moderated pops window/hits apart", async () => {
  await withQueues({ "a.com": 10 }, async (redis, spider, prefix) => {
    const spec = throttle({ keyPrefix: prefix, windowSec: 10, hits: 5, moderated: true });
    const t0 = 2_000_000_000_000;
    assert.deepEqual(await pop(redis, spider, spec, t0), ["a.com"]);
    assert.deepEqual(await pop(redis, spider, spec, t0 + 1_000), []);
    assert.deepEqual(await pop(redis, spider, spec, t0 + 1_999), []);
    assert.deepEqual(await pop(redis, spider, spec, t0 + 2_000), ["a.com"]);
  });
});

Deno.test("popLeased() catches up elastically when pops come late", async () => {
  await withQueues({ "a.com": 20 }, async (redis, spider, prefix) => {
    const spec = throttle({ keyPrefix: prefix, windowSec: 10, hits: 5, moderated: true });
    const t0 = 3_000_000_000_000;
    // Slots every 2 s; the crawler always looks 500 ms late.
    const times = [0, 2_500, 4_500, 6_500, 8_500].map((t) => t0 + t);
    for (const t of times) {
      assert.deepEqual(await pop(redis, spider, spec, t), ["a.com"], `${t - t0}`);
    }
    // Five pops within one 10 s window despite the lateness: the full budget.
    assert.equal(await redis.zcard(`${prefix}a.com:throttle_window`), 5);
  });
});

Deno.test("popLeased() applies per-domain overrides, scale 0 pauses, blacklist blocks", async () => {
  await withQueues({ "a.com": 5, "b.com": 5, "c.com": 5, "d.com": 5 }, async (redis, spider, p) => {
    const spec = throttle({
      keyPrefix: p,
      hits: 2,
      domains: { "a.com": [60, 4], "b.com": [60, 0] },
      blocked: ["c.com"],
    });
    const got = await pop(redis, spider, spec, Date.now(), 20);
    const count = (d: string) => got.filter((x) => x === d).length;
    assert.equal(count("a.com"), 4);
    assert.equal(count("b.com"), 0);
    assert.equal(count("c.com"), 0);
    assert.equal(count("d.com"), 2);
  });
});

Deno.test("popLeased() finds the ready domain among a thousand waiting ones in one call", async () => {
  const domains = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`d${i}.com`, 2]));
  await withQueues(domains, async (redis, spider, prefix) => {
    const spec = throttle({ keyPrefix: prefix, hits: 1, windowSec: 60 });
    const t0 = Date.now();
    // Drain one pop per domain: every domain is now waiting for its window.
    let taken = 0;
    for (let i = 0; i < 40 && taken < 1000; i++) {
      taken += (await pop(redis, spider, spec, t0, 64)).length;
    }
    assert.equal(taken, 1000);
    // The waiting domains are not candidates any more: nothing to look at, no wasted calls.
    assert.equal(await redis.zcount(queueIndexKey(spider), "-inf", String(t0)), 0);
    // A new domain becomes ready: the very next call finds it.
    await enqueueRequests(redis, layout, {
      spiderid: spider,
      appid: "app",
      crawlid: "c",
      expires: 0,
      dupefilterTtlSec: 60,
    }, [{ fingerprint: null, spiderid: spider, domain: "new.com", priority: 1, member: "{}" }]);
    assert.deepEqual(await pop(redis, spider, spec, t0 + 1), ["new.com"]);
  });
});

Deno.test("popLeased() keeps throttle keys per style prefix", async () => {
  await withQueues({ "a.com": 6 }, async (redis, spider) => {
    const t = Date.now();
    const styles = [`x${spider}:`, `${spider}:1.2.3.4:`, `1.2.3.4:${spider}x:`];
    for (const prefix of styles) {
      assert.equal(
        (await pop(redis, spider, throttle({ keyPrefix: prefix, hits: 2 }), t)).length,
        2,
      );
      assert.equal(await redis.zcard(`${prefix}a.com:throttle_window`), 2);
      await redis.del(`${prefix}a.com:throttle_window`);
      await redis.zadd(queueIndexKey(spider), 0, "a.com");
    }
  });
});
