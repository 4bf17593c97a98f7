/**
 * `deno task migrate` on real services: a Redis written the way Scrapy Cluster 1.3's plugins
 * write it is converted in place (dry run, run, rerun) and crawled to the end; the frontier makes
 * a plain → Redis Cluster → plain round trip keeping every request, score, fingerprint and
 * blacklist entry, and is crawled on the cluster; interrupted runs are finished by a rerun.
 */

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  enqueueRequests,
  FRONTIER_SHARDS_KEY,
  FrontierLayout,
  isForeignScore,
  popLeased,
  priorityFromScore,
  readBacklog,
} from "../../lib/frontier/mod.ts";
import { JOBS_INDEX_KEY } from "../../lib/api/mod.ts";
import { type RedisClient, scanKeys } from "../../lib/services/mod.ts";
import link from "../../components/crawler/spiders/link.ts";
import { migrateScrapy } from "../../components/migrate/scrapy.ts";
import { relayout } from "../../components/migrate/relayout.ts";
import { Progress } from "../../components/migrate/progress.ts";
import { CrawlFixture } from "../crawl_fixture.ts";
import { startTestSite, type TestSite } from "../site.ts";
import { crawlRequest } from "../requests.ts";
import { componentCommand } from "../processes.ts";
import {
  deleteKeysContaining,
  isolatedRedisUrl,
  randomName,
  redisEnv,
  redisKinds,
} from "../harness.ts";

/** The plain Redis database of the round trip (flushed by it). */
const DB = 14;
const PATHS = Array.from({ length: 8 }, (_, i) => `/p${i}`);
const PRIORITIES = [5, 1, 10, 5, 1, 5, 10, 1];
/** The follow-up Scrapy Cluster's crawler queued on each site (Scrapy's serialised form). */
const FOLLOW_UP = "/f";
const ROUTES = Object.fromEntries([...PATHS, FOLLOW_UP].map((p) => [p, { body: `page ${p}` }]));
const NO_ROBOTS = { ROBOTSTXT_OBEY: false };

/** ujson, as Scrapy Cluster's ScraperHandler writes a request: `/` escaped as `\/`. */
function ujson(value: unknown): string {
  return JSON.stringify(value).replaceAll("/", "\\/");
}

/** Scrapy Cluster's queue domain for an IP host: tldextract leaves a trailing dot. */
function scrapyDomain(site: TestSite): string {
  return `${new URL(site.origin).hostname}.`;
}

/** Every key of `fragment` with its content (sorted sets with scores), for before/after checks. */
async function snapshot(redis: RedisClient, fragment: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for await (const keys of scanKeys(redis, `*${fragment}*`)) {
    for (const key of keys) {
      const type = await redis.type(key);
      const ttl = (await redis.pttl(key)) > 0;
      if (type === "zset") out[key] = { ttl, v: await redis.zrange(key, "0", "-1", "WITHSCORES") };
      else if (type === "set") out[key] = { ttl, v: (await redis.smembers(key)).sort() };
      else if (type === "hash") out[key] = { ttl, v: await redis.hgetall(key) };
      else if (type === "string") out[key] = { ttl, v: await redis.get(key) };
    }
  }
  return out;
}

/** Runs `deno task migrate <args>` as the task does; its exit code and output. */
async function migrateCli(args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await componentCommand("migrate", args, env).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: text(stdout), err: text(stderr) };
}

/** Stops a migration after `n` queues, as a signal would. */
function abortAfter(n: number, controller: AbortController): Progress {
  let done = 0;
  const progress = new Progress({ tty: false, write: () => {} });
  const queueDone = progress.queueDone.bind(progress);
  progress.queueDone = (requests) => {
    queueDone(requests);
    if (++done === n) controller.abort();
  };
  return progress;
}

/**
 * Writes a Scrapy Cluster 1.3 frontier for `spider`: each site's pages in its domain queue with
 * score -priority and ujson members as its kafka-monitor writes seeds (appended in path order, so
 * FIFO within a priority is also Scrapy Cluster's member order), one follow-up as its crawler
 * queues them (Scrapy's `request_to_dict`, the crawl's fields in `meta`, priority - 10), a
 * `timeout:` key, a dupefilter, a blacklist, a throttle key.
 */
async function writeScrapyCluster(redis: RedisClient, spider: string, sites: TestSite[]) {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  let ts = 1_700_000_000;
  for (const site of sites) {
    for (const [i, path] of PATHS.entries()) {
      const req = crawlRequest({
        url: site.url(path),
        spiderid: spider,
        appid: "testapp",
        crawlid: "crawl1",
        priority: PRIORITIES[i],
        expires,
      });
      await redis.zadd(
        `${spider}:${scrapyDomain(site)}:queue`,
        -PRIORITIES[i],
        ujson({ ...req, ts: ts++ + 0.5 }),
      );
    }
    const seed = crawlRequest({
      url: site.url(PATHS[0]),
      spiderid: spider,
      appid: "testapp",
      crawlid: "crawl1",
      priority: 5,
      maxdepth: 1,
      expires,
    });
    const followUp = {
      url: site.url(FOLLOW_UP),
      callback: "parse",
      errback: null,
      method: "GET",
      headers: { "User-Agent": null },
      body: "",
      cookies: {},
      meta: {
        ...seed,
        ts: ts++ + 0.5,
        curdepth: 1,
        priority: -5,
        retry_times: 0,
        download_slot: new URL(site.origin).hostname,
        download_latency: 0.01,
        depth: 1,
      },
      _encoding: "utf-8",
      priority: 0,
      dont_filter: false,
      flags: [],
    };
    await redis.zadd(`${spider}:${scrapyDomain(site)}:queue`, 5, ujson(followUp));
  }
  await redis.set(`timeout:${spider}:testapp:crawl1`, String(expires));
  await redis.sadd(`${spider}:dupefilter:crawl1`, "a".repeat(40), "b".repeat(40));
  await redis.expire(`${spider}:dupefilter:crawl1`, 600);
  await redis.sadd(`${spider}:blacklist`, "testapp||oldcrawl");
  await redis.set(`${spider}:${scrapyDomain(sites[0])}:throttle_time`, "1700000000.5");
}

/** Starts two more one-host sites (127.0.0.2, 127.0.0.3) serving the same pages. */
async function moreSites(): Promise<TestSite[]> {
  return [
    await startTestSite({ routes: ROUTES, hostname: "127.0.0.2" }),
    await startTestSite({ routes: ROUTES, hostname: "127.0.0.3" }),
  ];
}

/** Crawls the fixture's spider to the end; every page of every site fetched exactly once. */
async function crawlToTheEnd(f: CrawlFixture, sites: TestSite[], paths: readonly string[]) {
  await f.startCrawler(link, NO_ROBOTS);
  await f.settle({ pages: sites.length * paths.length, timeoutMs: 60_000 });
  for (const site of sites) {
    for (const path of paths) assert.equal(site.hits(path), 1, `${site.url(path)} fetched once`);
  }
  assert.equal(f.results.length, sites.length * paths.length);
  for (const item of f.results) {
    assert.equal(item.appid, "testapp", `${item.url}: its crawl's appid`);
    assert.equal(item.crawlid, "crawl1");
  }
}

Deno.test("migrate scrapy converts a Scrapy Cluster Redis in place, once, and it crawls to the end", async () => {
  const f = await CrawlFixture.start({ routes: ROUTES });
  const sites = [f.site, ...await moreSites()];
  const spider = f.spiderName;
  const redis = f.redis;
  try {
    await writeScrapyCluster(redis, spider, sites);
    const before = await snapshot(redis, spider);
    // Scrapy Cluster's own pop order of each queue: score, then member.
    const urlsOf = (members: string[]) => members.map((m) => JSON.parse(m).url);
    const order: Record<string, string[]> = Object.fromEntries(
      await Promise.all(sites.map(async (s) => {
        const key = `${spider}:${scrapyDomain(s)}:queue`;
        return [key, urlsOf(await redis.zrange(key, "0", "-1"))];
      })),
    );

    const dry = await migrateCli(["scrapy", "--dry-run", "--spider", spider], redisEnv("plain"));
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /Dry run: 3 queue\(s\) with 27 request\(s\); 27 request\(s\) would be/);
    assert.match(dry.out, /3 follow-up\(s\) in Scrapy's serialised form would be rewritten/);
    assert.deepEqual(await snapshot(redis, spider), before, "a dry run changes nothing");

    const run = await migrateCli(["scrapy", "--spider", spider], redisEnv("plain"));
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /Migrated 3 queue\(s\) with 27 request\(s\): 27 rescored/);
    assert.match(run.out, /3 follow-up\(s\) in Scrapy's serialised form rewritten/);
    assert.match(run.out, /1 dupefilter\(s\), 1 blacklist\(s\), 1 timeout key\(s\)/);
    const after = await snapshot(redis, spider);

    for (const [key, urls] of Object.entries(order)) {
      const migrated = await redis.zrange(key, "0", "-1", "WITHSCORES");
      const members = migrated.filter((_, i) => i % 2 === 0);
      assert.deepEqual(urlsOf(members), urls, `${key}: order kept`);
      const followUp = JSON.parse(members.at(-1)!);
      assert.deepEqual(
        [followUp.appid, followUp.crawlid, followUp.curdepth, followUp.meta, followUp.depth],
        ["testapp", "crawl1", 1, undefined, undefined],
        "the follow-up is a crawl request now",
      );
      for (let i = 0; i < migrated.length; i += 2) {
        const score = Number(migrated[i + 1]);
        assert.ok(!isForeignScore(score), `${key}: rescored`);
        assert.equal(priorityFromScore(score), JSON.parse(migrated[i]).priority);
      }
      // FIFO within a priority: the pages were written in path order.
      const paths: { priority: number; url: string }[] = members.map((m) => JSON.parse(m));
      for (const p of [10, 5, 1]) {
        const urls = paths.filter((r) => r.priority === p).map((r) => r.url);
        assert.deepEqual(urls, [...urls].sort(), `${key}: priority ${p} first in, first out`);
      }
    }
    const domains = sites.map(scrapyDomain).sort();
    assert.deepEqual((await redis.zrange(`${spider}:queue_index`, "0", "-1")).sort(), domains);
    const backlog = await readBacklog(redis, new FrontierLayout(1), spider, "testapp");
    for (const domain of domains) {
      for (const p of [10, 5, 1, -5]) {
        const count = backlog.find((e) => e.domain === domain && e.priority === p)?.count;
        const expected = p === -5 ? 1 : PRIORITIES.filter((q) => q === p).length;
        assert.equal(count, expected, `${domain} priority ${p}`);
      }
    }
    for (const kept of ["dupefilter:crawl1", "blacklist", `${domains[0]}:throttle_time`]) {
      assert.deepEqual(after[`${spider}:${kept}`], before[`${spider}:${kept}`], kept);
    }
    const timeout = `timeout:${spider}:testapp:crawl1`;
    assert.deepEqual(after[timeout], before[timeout]);

    const again = await migrateCli(["scrapy", "--spider", spider], redisEnv("plain"));
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /Nothing to change: all 3 queue\(s\) \(27 request\(s\)\)/);
    assert.deepEqual(await snapshot(redis, spider), after, "a second run changes nothing");

    await crawlToTheEnd(f, sites, [...PATHS, FOLLOW_UP]);
  } finally {
    await Promise.all(sites.slice(1).map((s) => s.close()));
    await f.close();
  }
});

Deno.test("migrate scrapy killed midway: a rerun ends where an uninterrupted run ends", async () => {
  const redis = new Redis(isolatedRedisUrl(DB));
  const sites = [
    await startTestSite({ routes: ROUTES }),
    ...await moreSites(),
  ];
  const [cut, whole] = [randomName("spider"), randomName("spider")];
  try {
    await writeScrapyCluster(redis, cut, sites);
    await writeScrapyCluster(redis, whole, sites);
    const controller = new AbortController();
    const first = await migrateScrapy(redis, {
      spiders: [cut],
      signal: controller.signal,
      progress: abortAfter(1, controller),
    });
    assert.equal(first.aborted, true);
    assert.equal(first.done, 1);
    assert.equal(first.rescored, PATHS.length + 1);
    const rest = await migrateScrapy(redis, { spiders: [cut] });
    assert.equal(rest.aborted, false);
    assert.equal(rest.rescored, 2 * (PATHS.length + 1), "the rerun does the queues left");
    await migrateScrapy(redis, { spiders: [whole] });
    const named = (s: Record<string, unknown>, spider: string) =>
      JSON.parse(JSON.stringify(s).replaceAll(spider, "SPIDER"));
    assert.deepEqual(
      named(await snapshot(redis, cut), cut),
      named(await snapshot(redis, whole), whole),
    );
  } finally {
    await redis.flushdb();
    await redis.quit();
    await Promise.all(sites.map((s) => s.close()));
  }
});

/** The frontier's content: queue → member → score, dupefilter and blacklist members, expiry. */
async function frontierOf(
  redis: RedisClient,
  layout: FrontierLayout,
  spider: string,
  domains: string[],
) {
  const queues: Record<string, Record<string, string>> = {};
  for (const domain of domains) {
    const page = await redis.zrange(
      layout.of(domain).queue(spider, domain),
      "0",
      "-1",
      "WITHSCORES",
    );
    queues[domain] = {};
    for (let i = 0; i < page.length; i += 2) queues[domain][page[i]] = page[i + 1];
  }
  const union = async (keys: string[]) => {
    const all = await Promise.all(keys.map((k) => redis.smembers(k)));
    // Every shard holds the whole set (a fingerprint's domain is unknown).
    for (const members of all) assert.deepEqual(members.sort(), all[0].sort());
    return all[0].sort();
  };
  return {
    queues,
    dupefilter: await union(layout.shards.map((s) => s.dupefilter(spider, "crawl1"))),
    blacklist: await union(layout.shards.map((s) => s.blacklist(spider))),
    timeout: await redis.get(`timeout:${spider}:testapp:crawl1`),
  };
}

Deno.test({
  name:
    "migrate to-cluster and to-plain keep every request, score, fingerprint and blacklist entry",
  ignore: !redisKinds().includes("cluster"),
  fn: async () => {
    const f = await CrawlFixture.start({ routes: ROUTES }, "cluster");
    const sites = [f.site, ...await moreSites()];
    const spider = f.spiderName;
    const plain = new Redis(isolatedRedisUrl(DB));
    const cluster = f.redis;
    const nodes = Deno.env.get("TEST_REDIS_CLUSTER_NODES")!;
    const env = { REDIS_URL: isolatedRedisUrl(DB), REDIS_CLUSTER_NODES: "" };
    const one = new FrontierLayout(1);
    const sixteen = new FrontierLayout(Number(await cluster.get(FRONTIER_SHARDS_KEY) ?? 16));
    const domains = sites.map((s) => new URL(s.origin).hostname);
    const timeout = `timeout:${spider}:testapp:crawl1`;
    try {
      await plain.flushdb();
      const crawl = {
        spiderid: spider,
        appid: "testapp",
        crawlid: "crawl1",
        expires: 0,
        dupefilterTtlSec: 600,
      };
      for (const [d, site] of sites.entries()) {
        await enqueueRequests(
          plain,
          one,
          crawl,
          PATHS.map((path, i) => ({
            fingerprint: `${d}${path}`,
            spiderid: spider,
            domain: domains[d],
            priority: PRIORITIES[i],
            member: JSON.stringify(
              crawlRequest({
                url: site.url(path),
                spiderid: spider,
                appid: "testapp",
                crawlid: "crawl1",
                priority: PRIORITIES[i],
              }),
            ),
          })),
        );
      }
      await plain.sadd(one.shards[0].blacklist(spider), "testapp||oldcrawl");
      await plain.set(timeout, "4102444800");
      await plain.zadd(JOBS_INDEX_KEY, 4102444800, timeout);
      const expected = await frontierOf(plain, one, spider, domains);
      // One request leased by a crawler that is gone: it goes back at its place.
      const holder = { id: "gone", heartbeatKey: `stats:crawler:h:${spider}:gone` };
      assert.equal(
        (await popLeased(plain, one, spider, { max: 1, leaseMs: 60_000, holder })).leases.length,
        1,
      );

      const beat = `stats:crawler:testhost:${spider}:abc`;
      await plain.set(beat, "1");
      const refused = await migrateCli(
        ["to-cluster", "--to-nodes", nodes, "--spider", spider],
        env,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.err, /^migrate: to-cluster failed: 1 crawler\(s\) still running/);
      await plain.del(beat);

      const before = await snapshot(plain, spider);
      const dry = await migrateCli([
        "to-cluster",
        "--dry-run",
        "--to-nodes",
        nodes,
        "--spider",
        spider,
      ], env);
      assert.equal(dry.code, 0, dry.err);
      assert.match(
        dry.out,
        /would move 3 queue\(s\) with 23 request\(s\), 1 leased request\(s\) put back, 1 dupefilter\(s\) \(up to 24 fingerprint\(s\)\), 1 blacklist\(s\)/,
      );
      assert.deepEqual(await snapshot(plain, spider), before, "a dry run changes nothing");
      assert.deepEqual(await snapshot(cluster, spider), {});

      // Killed after one queue: the rerun finishes.
      const controller = new AbortController();
      const cut = await relayout(plain, cluster, sixteen.count, {
        spiders: [spider],
        signal: controller.signal,
        progress: abortAfter(1, controller),
      });
      assert.equal(cut.aborted, true);
      const run = await migrateCli(["to-cluster", "--to-nodes", nodes, "--spider", spider], env);
      assert.equal(run.code, 0, run.err);
      assert.match(run.out, /Moved 1 → 16 shard\(s\): 2 queue\(s\)/);
      assert.deepEqual(await frontierOf(cluster, sixteen, spider, domains), expected);
      assert.equal(await cluster.zscore(JOBS_INDEX_KEY, timeout), "4102444800");
      const backlog = await readBacklog(cluster, sixteen, spider, "testapp");
      assert.equal(backlog.reduce((n, e) => n + e.count, 0), 24);
      assert.deepEqual(await snapshot(plain, spider), {}, "nothing left on the source");
      assert.equal(await plain.zscore(JOBS_INDEX_KEY, timeout), null);

      const again = await migrateCli(["to-cluster", "--to-nodes", nodes, "--spider", spider], env);
      assert.match(again.out, /Nothing to move/);

      const back = await migrateCli(["to-plain", "--from-nodes", nodes, "--spider", spider], env);
      assert.equal(back.code, 0, back.err);
      assert.match(
        back.out,
        /Moved 16 → 1 shard\(s\): 3 queue\(s\) with 24 request\(s\), .* \(24 fingerprint\(s\)\)/,
      );
      assert.deepEqual(await frontierOf(plain, one, spider, domains), expected);
      assert.equal(await plain.zscore(JOBS_INDEX_KEY, timeout), "4102444800");
      assert.deepEqual(await snapshot(cluster, spider), {}, "nothing left on the cluster");
      const counts = await readBacklog(plain, one, spider, "testapp");
      assert.equal(counts.reduce((n, e) => n + e.count, 0), 24);

      // And once more to the cluster, where it crawls to the end.
      const last = await migrateCli(["to-cluster", "--to-nodes", nodes, "--spider", spider], env);
      assert.equal(last.code, 0, last.err);
      await crawlToTheEnd(f, sites, PATHS);
    } finally {
      await cluster.zrem(JOBS_INDEX_KEY, timeout);
      await deleteKeysContaining(cluster, spider);
      await plain.flushdb();
      await plain.quit();
      await Promise.all(sites.slice(1).map((s) => s.close()));
      await f.close();
    }
  },
});
