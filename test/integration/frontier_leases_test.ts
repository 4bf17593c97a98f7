/**
 * Leases that name their crawler (issue 11): reclaimed as soon as the crawler's heartbeat key is
 * gone, settled by their own crawler, unique per pop; throttle hits unique per pop; retries that
 * spend no page of the limits. Real Redis, random spider names.
 */
import assert from "node:assert/strict";
import { withSpider } from "./frontier_fixture.ts";
import {
  ackLeases,
  blacklistCrawl,
  enqueueRequests,
  parseLease,
  popLeased,
  queueSize,
  reclaimDeadHolders,
  reconcileLeases,
  returnLeases,
} from "../../lib/frontier/mod.ts";
import type { ThrottleSpec } from "../../lib/frontier/mod.ts";

const entry = (spiderid: string, domain: string, member: string) => ({
  fingerprint: null,
  spiderid,
  domain,
  priority: 1,
  member,
});
const json = (i: number) => JSON.stringify({ appid: "app", crawlid: "c1", i });
const holder = (spider: string, id: string) => ({ id, heartbeatKey: `hb:${spider}:${id}` });

Deno.test("popLeased() records the holder and a token unique to each pop in the lease", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    await enqueueRequests(redis, layout, crawl, [0, 1].map((i) => entry(spider, "a.com", json(i))));
    const a = holder(spider, "aaaaaaaaaaaa");
    const first = await popLeased(redis, layout, spider, { max: 1, leaseMs: 60_000, holder: a });
    const [lease] = first.leases;
    assert.equal(lease.holder, a.id);
    assert.equal(JSON.parse(lease.member).i, 0);
    assert.equal(lease.domain, "a.com");
    assert.equal(lease.priority, 1);
    const shard = layout.of("a.com");
    assert.equal(await redis.hget(shard.holders(spider), a.id), a.heartbeatKey);
    // The same request leased again (returned, popped by the same crawler) has another lease:
    // a late ack of the first one removes nothing.
    await returnLeases(redis, layout, spider, [lease]);
    const second = await popLeased(redis, layout, spider, { max: 1, leaseMs: 60_000, holder: a });
    assert.equal(second.leases[0].member, lease.member);
    assert.notEqual(second.leases[0].id, lease.id);
    await ackLeases(redis, layout, spider, [lease.id]);
    assert.deepEqual(await redis.zrange(shard.leases(spider), "0", "-1"), [second.leases[0].id]);
  });
});

Deno.test("parseLease() still reads a lease written without holder and token", () => {
  const member = JSON.stringify({ url: "http://a.com/x\ny" });
  const lease = parseLease(`a.com\n-68719476735\n${member}`);
  assert.deepEqual(
    { ...lease },
    {
      id: `a.com\n-68719476735\n${member}`,
      domain: "a.com",
      score: "-68719476735",
      priority: 1,
      member,
      holder: "",
      token: "",
      family: "",
    },
  );
});

Deno.test("reclaimDeadHolders() puts back at once only the leases of crawlers whose heartbeat is gone", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    await enqueueRequests(
      redis,
      layout,
      crawl,
      [0, 1, 2, 3].map((i) => entry(spider, "a.com", json(i))),
    );
    const alive = holder(spider, "a11111111111");
    const dead = holder(spider, "dead00000000");
    const me = holder(spider, "me0000000000");
    await redis.set(alive.heartbeatKey, "1", "EX", 60);
    await redis.set(dead.heartbeatKey, "1", "EX", 60);
    const aliveLeases = await popLeased(redis, layout, spider, {
      max: 1,
      leaseMs: 600_000,
      holder: alive,
    });
    const deadLeases = await popLeased(redis, layout, spider, {
      max: 2,
      leaseMs: 600_000,
      holder: dead,
    });
    await popLeased(redis, layout, spider, { max: 1, leaseMs: 600_000, holder: me }); // no heartbeat
    assert.deepEqual(await reclaimDeadHolders(redis, layout, spider, me.id), {
      returned: 0,
      holders: [],
    });
    await redis.del(dead.heartbeatKey); // SIGKILLed: its key expired
    const reclaimed = await reclaimDeadHolders(redis, layout, spider, me.id);
    assert.deepEqual(reclaimed, { returned: 2, holders: [dead.id] });
    const shard = layout.of("a.com");
    assert.equal(await redis.hexists(shard.holders(spider), dead.id), 0);
    // Back at their old place, long before the 600 s deadline; the others keep theirs.
    assert.equal(await queueSize(redis, layout, spider, "a.com"), 2);
    const left = (await redis.zrange(shard.leases(spider), "0", "-1")).map(parseLease);
    assert.deepEqual(left.map((l) => l.holder).sort(), [alive.id, me.id].sort());
    // The dead crawler was only slow: its late ack removes nothing, its return is a no-op.
    await ackLeases(redis, layout, spider, deadLeases.leases.map((l) => l.id));
    assert.equal(await returnLeases(redis, layout, spider, deadLeases.leases), 0);
    const again = await popLeased(redis, layout, spider, {
      max: 5,
      leaseMs: 600_000,
      holder: alive,
    });
    assert.deepEqual(again.leases.map((l) => JSON.parse(l.member).i), [1, 2]);
    assert.equal(aliveLeases.leases.length, 1);
  });
});

Deno.test("reconcileLeases() keeps a crawler's leases in flight, acks finished ones and returns the rest", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    await enqueueRequests(
      redis,
      layout,
      crawl,
      [0, 1, 2, 3].map((i) => entry(spider, "a.com", json(i))),
    );
    const me = holder(spider, "me0000000000");
    const other = holder(spider, "other0000000");
    const mine = await popLeased(redis, layout, spider, { max: 3, leaseMs: 600_000, holder: me });
    const theirs = await popLeased(redis, layout, spider, {
      max: 1,
      leaseMs: 600_000,
      holder: other,
    });
    const [working, finished, lost] = mine.leases;
    const result = await reconcileLeases(redis, layout, spider, me.id, {
      keep: [working.token],
      acked: [finished.token],
    });
    assert.deepEqual(result, { returned: 1, acked: 1 });
    const left = await redis.zrange(layout.of("a.com").leases(spider), "0", "-1");
    assert.deepEqual(left.sort(), [working.id, theirs.leases[0].id].sort());
    const back = await popLeased(redis, layout, spider, { max: 5, leaseMs: 600_000 });
    assert.deepEqual(back.leases.map((l) => l.member), [lost.member]);
  });
});

Deno.test("popLeased() counts every throttle hit of pops landing in the same millisecond", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const domain = `${spider}.com`;
    const pops = 40;
    await enqueueRequests(
      redis,
      layout,
      crawl,
      Array.from({ length: pops }, (_, i) => entry(spider, domain, json(i))),
    );
    const throttle: ThrottleSpec = {
      enabled: true,
      windowSec: 60,
      hits: 1000,
      moderated: false,
      keyPrefix: `${spider}:`,
      scheduleAhead: true,
      domains: {},
      blocked: [],
    };
    const nowMs = Date.now();
    for (let i = 0; i < pops; i++) {
      const { leases } = await popLeased(redis, layout, spider, {
        max: 1,
        leaseMs: 60_000,
        throttle,
        nowMs,
      });
      assert.equal(leases.length, 1);
    }
    const window = layout.of(domain).throttleWindow(`${spider}:${domain}`);
    assert.equal(await redis.zcard(window), pops);
  });
});

Deno.test("enqueueRequests() with countPages false spends no page of the limits but obeys the blacklist", async () => {
  await withSpider(async (redis, spider, crawl, layout) => {
    const limited = { ...crawl, domainMaxPages: 2, globalPageLimit: 2 };
    assert.equal(
      (await enqueueRequests(redis, layout, limited, [entry(spider, "a.com", "a0")])).added,
      1,
    );
    assert.equal(
      (await enqueueRequests(redis, layout, limited, [entry(spider, "a.com", "a1")])).added,
      0,
    );
    const retry = { ...limited, countPages: false };
    assert.equal(
      (await enqueueRequests(redis, layout, retry, [entry(spider, "a.com", "r0")])).added,
      1,
    );
    await blacklistCrawl(redis, layout, spider, "app", "c1");
    const stopped = await enqueueRequests(redis, layout, retry, [entry(spider, "a.com", "r1")]);
    assert.deepEqual(stopped, { added: 0, duplicates: 0, rejected: 1 });
  });
});
