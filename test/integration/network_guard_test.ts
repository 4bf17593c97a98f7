/**
 * The network guard against real Redis and Kafka and the local test site: refused requests
 * are never fetched (the site's request log stays empty), counted, acknowledged; allowed ones
 * connect to the address that was checked, http and https (through the CONNECT proxy); seeds
 * naming a refused address literal are rejected by the kafka-monitor.
 */

import assert from "node:assert/strict";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { queueKey, refusedField, refusedKey } from "../../lib/frontier/mod.ts";
import { NetworkGuard, type NetworkGuardOptions, type Resolver } from "../../lib/net/mod.ts";
import { REFUSED_SPELLINGS } from "../../lib/net/testdata/spellings.ts";
import { TEST_CA, TEST_CERT, TEST_KEY } from "../../lib/net/testdata/tls.ts";
import { BatchingProducer, createKafka } from "../../lib/services/mod.ts";
import { StatsCollector, statsKey } from "../../lib/stats/mod.ts";
import { runCrawler } from "../../components/crawler/crawler.ts";
import link from "../../components/crawler/spiders/link.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
import { processMessages } from "../../components/kafka-monitor/monitor.ts";
import { CrawlFixture, type RunningCrawler, seedRequest } from "../crawl_fixture.ts";
import { deleteKeysContaining, randomName, serviceEnv, testRedis } from "../harness.ts";

const ROUTES = {
  "/": { body: '<a href="/a">a</a>' },
  "/a": { body: "a" },
};

/** Maps every `*.example` name to 127.0.0.1, as a hostile DNS answer would. */
const LOOPBACK_DNS: Resolver = (host) =>
  host.endsWith(".example")
    ? Promise.resolve(["127.0.0.1"])
    : Promise.reject(new Error(`no such host ${host}`));

/**
 * Starts a crawler of the fixture with its own guard (an injected resolver and CA), closed with
 * it. The guard settings stay on (ALLOW_PRIVATE_ADDRESSES false); robots.txt off unless asked.
 */
async function startGuardedCrawler(
  f: CrawlFixture,
  guardOpts: NetworkGuardOptions,
  overrides: Record<string, unknown> = {},
): Promise<RunningCrawler> {
  const settings = f.settings({
    ALLOW_PRIVATE_ADDRESSES: false,
    ROBOTSTXT_OBEY: false,
    ...overrides,
  });
  const guard = new NetworkGuard(guardOpts);
  const producer = new BatchingProducer(createKafka(settings.KAFKA_HOSTS, "test-guard"), settings);
  await producer.connect();
  const controller = new AbortController();
  const events: RunningCrawler["events"] = [];
  const done = runCrawler({
    settings,
    redis: f.redis,
    producer,
    spider: { name: f.spiderName, parse: link.parse },
    log: getLog("crawler", "test"),
    host: "testhost",
    guard,
    onDone: (e) => {
      events.push(e);
      f.events.push(e);
    },
  }, { signal: controller.signal }).finally(async () => {
    await producer.close();
    await guard.close();
  });
  return {
    events,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

Deno.test("guard on: every spelling of a refused host is refused, counted, acknowledged, never fetched", async () => {
  const f = await CrawlFixture.start({ routes: ROUTES });
  try {
    // The crawler's own guard, from its settings (robots.txt on: its fetch is guarded too).
    const crawler = await f.startCrawler(link, { ALLOW_PRIVATE_ADDRESSES: false });
    const port = f.site.port;
    const urls = REFUSED_SPELLINGS.map(([host], i) => `http://${host}:${port}/s/${i}`);
    for (const url of urls) {
      await f.seed(seedRequest({ url, spiderid: f.spiderName, maxdepth: 1 }));
    }
    await f.settle();
    assert.deepEqual(f.site.requests, [], "nothing reached the local site");
    const refused = f.events.filter((e) => e.kind === "refused");
    assert.equal(refused.length, urls.length);
    for (const e of refused) {
      assert.ok(e.kind === "refused" && e.refusal === "network");
      assert.match(
        e.reason,
        /^Cannot fetch \S+: host \S+ is an? [A-Za-z -]+ (address|name)(?: \(IPv4 [\d.]+\))?; set ALLOW_PRIVATE_ADDRESSES or ALLOWED_PRIVATE_NETWORKS to allow it$/,
      );
    }
    assert.equal(f.results.length, 0);
    assert.equal(await f.pending(), 0, "every refused request acknowledged");
    const perCrawl = await f.redis.hget(
      refusedKey(f.spiderName, "testapp"),
      refusedField("crawl1", "network"),
    );
    assert.equal(perCrawl, String(urls.length));
    await crawler.stop(); // writes the stats
    const stat = statsKey("crawler", `testhost:${f.spiderName}:refused_network`, "lifetime");
    assert.equal(await f.redis.get(stat), String(urls.length));
  } finally {
    await f.close();
  }
});

Deno.test("guard on: a public-looking name resolving to 127.0.0.1 is refused; allow-listed, it is fetched there", async () => {
  const f = await CrawlFixture.start({ routes: ROUTES });
  try {
    const url = `http://public-looking.example:${f.site.port}/`;
    const refusing = await startGuardedCrawler(f, { resolver: LOOPBACK_DNS });
    await f.seed(seedRequest({ url, spiderid: f.spiderName }));
    await f.settle();
    await refusing.stop();
    assert.deepEqual(f.site.requests, []);
    const [refused] = f.events.filter((e) => e.kind === "refused");
    assert.ok(refused?.kind === "refused");
    assert.match(
      refused.reason,
      /^Cannot fetch http:\/\/public-looking\.example:\d+\/: public-looking\.example resolves to 127\.0\.0\.1, a loopback address; set ALLOW_PRIVATE_ADDRESSES/,
    );

    // The same name with 127.0.0.0/8 opened: the page comes from the address the name resolved
    // to (nothing else listens on that port for that name).
    const allowing = await startGuardedCrawler(f, {
      resolver: LOOPBACK_DNS,
      allowedNetworks: ["127.0.0.0/8"],
    });
    await f.seed(seedRequest({ url: `${url}a`, spiderid: f.spiderName }));
    await f.settle({ pages: 1 });
    await allowing.stop();
    assert.deepEqual(f.requestedPaths(), ["/a"]);
    assert.equal(f.results.length, 1);
    assert.equal(f.results[0].url, `${url}a`);
    assert.equal(f.results[0].status_code, 200);
  } finally {
    await f.close();
  }
});

Deno.test("guard on: a redirect from an allowed page to a refused address is refused", async () => {
  // A second server on ::1, which the allow-list (127.0.0.0/8) does not open.
  const secret: string[] = [];
  const v6 = Deno.serve({ hostname: "::1", port: 0, onListen() {} }, (req) => {
    secret.push(new URL(req.url).pathname);
    return new Response("secret");
  });
  const f = await CrawlFixture.start({
    routes: {
      ...ROUTES,
      "/to-loopback-v6": { redirect: `http://[::1]:${v6.addr.port}/secret` },
    },
  });
  try {
    const crawler = await startGuardedCrawler(f, {
      resolver: LOOPBACK_DNS,
      allowedNetworks: ["127.0.0.0/8"],
    });
    await f.seed(seedRequest({ url: f.site.url("/to-loopback-v6"), spiderid: f.spiderName }));
    await f.settle();
    await crawler.stop();
    assert.deepEqual(f.requestedPaths(), ["/to-loopback-v6"]);
    assert.deepEqual(secret, [], "the redirect target was never contacted");
    const refused = f.events.filter((e) => e.kind === "refused");
    assert.equal(refused.length, 1);
    assert.match(
      refused[0].kind === "refused" ? refused[0].reason : "",
      /host \[::1\] is a loopback/,
    );
  } finally {
    await f.close();
    await v6.shutdown();
  }
});

Deno.test("guard off (ALLOW_PRIVATE_ADDRESSES=true): every local spelling is fetched", async () => {
  const f = await CrawlFixture.start({ routes: ROUTES });
  try {
    await f.startCrawler(link, { ALLOW_PRIVATE_ADDRESSES: true, ROBOTSTXT_OBEY: false });
    const port = f.site.port;
    const hosts = ["127.0.0.1", "127.1", "0x7f000001", "2130706433", "localhost"];
    for (const [i, host] of hosts.entries()) {
      await f.seed(seedRequest({ url: `http://${host}:${port}/a?${i}`, spiderid: f.spiderName }));
    }
    await f.settle({ pages: hosts.length });
    assert.deepEqual(f.requestedPaths(), hosts.map((_, i) => `/a?${i}`));
    assert.equal(f.events.filter((e) => e.kind === "refused").length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("guard on: https goes through the CONNECT proxy to the checked address, refused when not allowed", async () => {
  const seen: string[] = [];
  const tls = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: TEST_CERT,
    key: TEST_KEY,
    onListen() {},
  }, (req) => {
    seen.push(new URL(req.url).pathname);
    return new Response("<p>over TLS</p>", { headers: { "content-type": "text/html" } });
  });
  const f = await CrawlFixture.start({ routes: ROUTES });
  try {
    const url = `https://public-looking.example:${tls.addr.port}/secure`;
    const refusing = await startGuardedCrawler(f, { resolver: LOOPBACK_DNS, caCerts: [TEST_CA] });
    await f.seed(seedRequest({ url, spiderid: f.spiderName }));
    await f.settle();
    await refusing.stop();
    assert.deepEqual(seen, []);
    const refused = f.events.filter((e) => e.kind === "refused");
    assert.equal(refused.length, 1);
    assert.match(
      refused[0].kind === "refused" ? refused[0].reason : "",
      /resolves to 127\.0\.0\.1/,
    );

    const allowing = await startGuardedCrawler(f, {
      resolver: LOOPBACK_DNS,
      allowedNetworks: ["127.0.0.0/8"],
      caCerts: [TEST_CA],
    });
    await f.seed(seedRequest({ url: `${url}?again`, spiderid: f.spiderName }));
    await f.settle({ pages: 1 });
    await allowing.stop();
    assert.deepEqual(seen, ["/secure"]);
    assert.equal(f.results.length, 1);
    assert.equal(f.results[0].status_code, 200);
    assert.match(String(f.results[0].body), /over TLS/);
  } finally {
    await f.close();
    await tls.shutdown();
  }
});

Deno.test("kafka-monitor: a seed whose host is a refused address literal is rejected, not queued", async () => {
  const redis = testRedis();
  const spider = randomName("spider");
  const component = randomName("km");
  const env = serviceEnv();
  const log = getLog("kafka-monitor", "test");
  const load = (overrides: Record<string, unknown>) =>
    loadSettings(KAFKA_MONITOR_SETTINGS, {
      env: { REDIS_URL: env.REDIS_URL, KAFKA_HOSTS: env.KAFKA_HOSTS },
      overrides,
    });
  try {
    const settings = load({});
    const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
    const stats = new StatsCollector(component, [900]);
    const seed = (url: string) =>
      JSON.stringify({ url, appid: "testapp", crawlid: "c1", spiderid: spider });
    const outcomes = await processMessages(
      [seed("http://0x7f000001:8080/"), seed("http://[::ffff:a9fe:a9fe]/"), seed("example.com")],
      { settings, redis, plugins, log, stats },
    );
    assert.deepEqual(outcomes.map((o) => o.status), ["failed", "failed", "handled"]);
    assert.match(
      outcomes[0].status === "failed" ? outcomes[0].reason : "",
      /url: host 127\.0\.0\.1 is a loopback address; set ALLOW_PRIVATE_ADDRESSES or ALLOWED_PRIVATE_NETWORKS to allow it/,
    );
    assert.match(
      outcomes[1].status === "failed" ? outcomes[1].reason : "",
      /link-local address \(IPv4 169\.254\.169\.254\)/,
    );
    assert.equal(await redis.zcard(queueKey(spider, "127.0.0.1")), 0);
    assert.equal(await redis.zcard(queueKey(spider, "example.com")), 1);

    // ALLOW_PRIVATE_ADDRESSES lets it through.
    const open = load({ ALLOW_PRIVATE_ADDRESSES: true });
    const [allowed] = await processMessages([seed("http://127.0.0.1:8080/")], {
      settings: open,
      redis,
      plugins,
      log,
      stats,
    });
    assert.equal(allowed.status, "handled");
    assert.equal(await redis.zcard(queueKey(spider, "127.0.0.1")), 1);
  } finally {
    await deleteKeysContaining(redis, spider);
    await deleteKeysContaining(redis, component);
    await redis.quit();
  }
});
