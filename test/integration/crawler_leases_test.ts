/**
 * The crawler never leaves a request waiting for `LEASE_TIMEOUT` (set to 300 s here, beyond
 * every test's timeout, so a completed crawl proves the request came back sooner):
 *
 * - a page whose Kafka send failed goes back to its queue at once;
 * - a pop whose reply was lost (Redis stalled with SIGSTOP longer than the command timeout, then
 *   SIGCONT: the pop runs, the crawler saw a timeout) leaves no orphaned lease;
 * - a retry spends no page of `domain_max_pages`.
 *
 * Real Redis and Kafka, the local test site, crawlers in-process.
 */
import assert from "node:assert/strict";
import type { RedisClient } from "../../lib/services/redis.ts";
import { CrawlFixture, seedInto, seedRequest } from "../crawl_fixture.ts";
import { eventually, randomName } from "../harness.ts";
import { fanOutRoutes, type Route } from "../site.ts";
import { getLog } from "../../lib/config/mod.ts";
import { closeRedis, connectRedis, createKafka } from "../../lib/services/mod.ts";
import { BatchingProducer } from "../../lib/services/mod.ts";
import { leasesKey, queueIndexKey } from "../../lib/frontier/mod.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { type CrawlEvent, runCrawler } from "../../components/crawler/crawler.ts";
import type { CrawlerSettings } from "../../components/crawler/settings.ts";
import link from "../../components/crawler/spiders/link.ts";

/** Quick crawls, exact pages (no robots.txt request), and a lease deadline no test waits for. */
const BASE = { ROBOTSTXT_OBEY: false, LEASE_TIMEOUT: 300 };

/** A producer whose first `failures` sends reject (a broker that refused them). */
function failingProducer(real: BatchingProducer, failures: number): BatchingProducer {
  let left = failures;
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "send") {
        return (topic: string, value: string, key?: string) =>
          left-- > 0
            ? Promise.reject(new Error("Cannot send: broker not available"))
            : target.send(topic, value, key);
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Runs a crawler of the fixture's spider with `redis` and `producer`; returns its stop. */
function crawl(
  f: CrawlFixture,
  settings: CrawlerSettings,
  redis: RedisClient,
  producer: BatchingProducer,
  events: CrawlEvent[],
): () => Promise<void> {
  const controller = new AbortController();
  const done = runCrawler({
    settings,
    redis,
    producer,
    spider: { name: f.spiderName, parse: link.parse },
    log: getLog("crawler", "test"),
    host: "testhost",
    onDone: (e) => events.push(e),
  }, { signal: controller.signal });
  return async () => {
    controller.abort();
    await done;
  };
}

const pathsOf = (results: Record<string, unknown>[]) =>
  results.map((r) => new URL(String(r.url)).pathname).sort();

Deno.test("runCrawler() returns a page whose Kafka send failed to its queue at once", async () => {
  const f = await CrawlFixture.start({ routes: fanOutRoutes(3) });
  const settings = f.settings(BASE);
  const real = new BatchingProducer(createKafka(settings.KAFKA_HOSTS, "test-crawler"), settings);
  await real.connect();
  const events: CrawlEvent[] = [];
  const stop = crawl(f, settings, f.redis, failingProducer(real, 2), events);
  try {
    await seedInto(
      f.redis,
      seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }),
    );
    await eventually(() => f.results.length >= 4, { what: "4 pages", timeoutMs: 40_000 });
    await f.settle({ pages: 4 });
    assert.deepEqual([...new Set(pathsOf(f.results))], ["/", "/p0", "/p1", "/p2"]);
    assert.equal(events.filter((e) => e.kind === "returned").length, 2);
  } finally {
    await stop();
    await real.close();
    await f.close();
  }
});

Deno.test("runCrawler() crawls a retried page that domain_max_pages would have refused", async () => {
  const routes: Record<string, Route> = {
    "/": { body: ["/flaky", "/p1", "/p2", "/p3"].map((p) => `<a href="${p}">${p}</a>`).join("") },
    // 500 first (retried), then a page.
    "/flaky": (_req, { hits }) =>
      new Response(hits === 1 ? "busy" : "flaky page", {
        status: hits === 1 ? 500 : 200,
        headers: { "content-type": "text/html" },
      }),
    "/p1": { body: "p1" },
    "/p2": { body: "p2" },
    "/p3": { body: "p3" },
  };
  const f = await CrawlFixture.start({ routes });
  try {
    await f.startCrawler(link, { ...BASE, RETRY_TIMES: 2 });
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      maxdepth: 1,
      domain_max_pages: 3,
    }));
    await eventually(() => f.results.length >= 3, { what: "3 pages", timeoutMs: 20_000 });
    await f.settle({ pages: 3 });
    // domain_max_pages 3: the seed and its first two links — the flaky one crawled on its retry.
    assert.deepEqual(pathsOf(f.results), ["/", "/flaky", "/p1"]);
    assert.equal(f.site.hits("/flaky"), 2);
    assert.ok(f.events.some((e) => e.kind === "retry" && e.url.endsWith("/flaky")));
  } finally {
    await f.close();
  }
});

Deno.test("runCrawler() leaves no orphaned lease when Redis stalls past the command timeout", async () => {
  const port = freePort();
  const server = await startRedis(port, await Deno.makeTempDir({ prefix: "stalled-redis" }));
  const f = await CrawlFixture.start({ routes: fanOutRoutes(40, { delayMs: 200 }) });
  const settings = f.settings({
    ...BASE,
    REDIS_URL: `redis://127.0.0.1:${port}/0`,
    REDIS_SOCKET_TIMEOUT: 0.5,
    // No heartbeat lapses during the stall: only the lost pop is tested here.
    HEARTBEAT_TIMEOUT: 60,
    CONCURRENT_REQUESTS: 4,
    IDLE_POLL_MS: 20,
  });
  const redis = await connectRedis(settings, randomName("stalled"));
  const real = new BatchingProducer(createKafka(settings.KAFKA_HOSTS, "test-crawler"), settings);
  await real.connect();
  const events: CrawlEvent[] = [];
  const stop = crawl(f, settings, redis, real, events);
  try {
    await seedInto(
      redis,
      seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 1 }),
    );
    await eventually(() => f.results.length >= 3, {
      what: "the crawl to start",
      timeoutMs: 20_000,
    });
    // Stalled: commands written now time out on the client, and run when the server resumes.
    Deno.kill(server.pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 2_500));
    } finally {
      Deno.kill(server.pid, "SIGCONT");
    }
    await eventually(async () => {
      const [queued, leased] = await Promise.all([
        redis.zcard(queueIndexKey(f.spiderName)),
        redis.zcard(leasesKey(f.spiderName)),
      ]);
      return queued === 0 && leased === 0 && new Set(pathsOf(f.results)).size === 41;
    }, { what: "every page crawled and no lease left", timeoutMs: 40_000 });
  } finally {
    await stop();
    await real.close();
    await closeRedis(redis);
    await server.stop();
    await f.close();
  }
});
