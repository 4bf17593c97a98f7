/**
 * Prometheus metrics on real services: a crawler in-process with METRICS_PORT scraped after a
 * crawl of the local site (counts match the pages), the backlog sample read from the frontier,
 * and a kafka-monitor's accepted/rejected counters after good and bad requests.
 */

import assert from "node:assert/strict";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { sampleBacklog } from "../../lib/metrics/mod.ts";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { createKafka, ensureTopics, produceOnce } from "../../lib/services/mod.ts";
import { deleteKeysContaining, eventually, randomName, serviceEnv, testRedis } from "../harness.ts";
import { type Outcome, runKafkaMonitor } from "../../components/kafka-monitor/monitor.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import link from "../../components/crawler/spiders/link.ts";

/** The value of one series in a scrape; 0 when the series is not there yet. */
function valueOf(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  return await res.text();
}

const PAGES: Record<string, string> = {
  "/": '<html><body><a href="/a">a</a> <a href="/b">b</a> <a href="/gone">gone</a></body></html>',
  "/a": "<html><body>page a</body></html>",
  "/b": "<html><body>page b, a little longer</body></html>",
};
const GONE = "<html><body>no such page</body></html>";

Deno.test("a crawler with METRICS_PORT serves counts that match the pages it crawled", async () => {
  const routes = Object.fromEntries(Object.entries(PAGES).map(([path, body]) => [path, { body }]));
  const f = await CrawlFixture.start({
    routes: { ...routes, "/gone": { status: 404, body: GONE } },
  });
  try {
    const port = freePort();
    await f.startCrawler(link, {
      ROBOTSTXT_OBEY: false,
      METRICS_PORT: port,
      METRICS_BACKLOG_INTERVAL: 1,
    });
    await f.seed(seedRequest({
      url: f.site.url("/"),
      spiderid: f.spiderName,
      maxdepth: 1,
      allowed_domains: ["127.0.0.1"],
    }));
    await f.settle({ pages: 4 });
    const spider = `spider="${f.spiderName}"`;
    const text = await scrape(port);
    assert.equal(f.site.requests.length, 4);
    assert.equal(
      valueOf(text, `crawl_cluster_pages_fetched_total{${spider},status_class="2xx"}`),
      3,
    );
    assert.equal(
      valueOf(text, `crawl_cluster_pages_fetched_total{${spider},status_class="4xx"}`),
      1,
    );
    const bytes = [...Object.values(PAGES), GONE]
      .reduce((n, body) => n + new TextEncoder().encode(body).byteLength, 0);
    assert.equal(valueOf(text, `crawl_cluster_downloaded_bytes_total{${spider}}`), bytes);
    assert.equal(valueOf(text, `crawl_cluster_fetch_duration_seconds_count{${spider}}`), 4);
    assert.equal(valueOf(text, `crawl_cluster_items_produced_total{${spider}}`), f.results.length);
    assert.equal(f.results.length, 4);
    assert.equal(valueOf(text, `crawl_cluster_retries_total{${spider}}`), 0);
    assert.ok(valueOf(text, "crawl_cluster_process_resident_memory_bytes") > 0);
    // The backlog gauge is sampled (every second here), and the crawl left nothing pending.
    await eventually(
      async () =>
        (await scrape(port)).includes(`crawl_cluster_queue_backlog_requests{${spider}} 0`),
      { what: "a backlog sample of 0" },
    );
  } finally {
    await f.close();
  }
});

Deno.test("sampleBacklog() reads pending requests and domains from the queue index", async () => {
  const f = await CrawlFixture.start();
  try {
    const layout = await openFrontierLayout(f.redis);
    assert.deepEqual(await sampleBacklog(f.redis, layout, f.spiderName), {
      requests: 0,
      domains: 0,
      leased: 0,
    });
    for (const url of ["http://one.example/a", "http://one.example/b", "http://two.example/"]) {
      await f.seed(seedRequest({ url, spiderid: f.spiderName }));
    }
    assert.deepEqual(await sampleBacklog(f.redis, layout, f.spiderName), {
      requests: 3,
      domains: 2,
      leased: 0,
    });
  } finally {
    await f.close();
  }
});

Deno.test("a kafka-monitor with METRICS_PORT counts accepted and rejected requests", async () => {
  const log = getLog("kafka-monitor", "test");
  const redis = testRedis();
  const spider = randomName("spider");
  const topic = randomName("incoming");
  const env = serviceEnv();
  const port = freePort();
  const settings = loadSettings(KAFKA_MONITOR_SETTINGS, {
    env: { REDIS_URL: env.REDIS_URL, KAFKA_HOSTS: env.KAFKA_HOSTS },
    overrides: {
      KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 100,
      KAFKA_INCOMING_TOPIC: topic,
      KAFKA_GROUP: randomName("group"),
      METRICS_PORT: port,
    },
  });
  const kafka = createKafka(settings.KAFKA_HOSTS, "test");
  const send = (value: string) => produceOnce(kafka, topic, value, 10_000);
  const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
  const handled: Outcome[] = [];
  const controller = new AbortController();
  await ensureTopics(kafka, [topic]);
  const running = runKafkaMonitor(
    { settings, redis, plugins, log, onBatch: (o) => handled.push(...o) },
    { signal: controller.signal },
  );
  try {
    // Counters are per process: compare with what this process had counted before.
    const before = await eventually(() => scrape(port).catch(() => undefined), {
      what: "the metrics port",
    });
    const crawl = (url: string) =>
      JSON.stringify({ url, appid: "testapp", crawlid: "abc123", spiderid: spider });
    await send(crawl("http://example.com/"));
    await send(crawl("http://example.org/"));
    await send("not json");
    await send(JSON.stringify({ url: "http://example.com/", appid: "testapp" })); // no crawlid
    await eventually(() => handled.length === 4, { what: "four requests handled" });
    const after = await scrape(port);
    const delta = (series: string) => valueOf(after, series) - valueOf(before, series);
    assert.equal(delta('crawl_cluster_kafka_monitor_accepted_total{plugin="ScraperHandler"}'), 2);
    assert.equal(delta('crawl_cluster_kafka_monitor_rejected_total{reason="unparseable"}'), 1);
    assert.equal(delta('crawl_cluster_kafka_monitor_rejected_total{reason="invalid"}'), 1);
    assert.equal(delta('crawl_cluster_kafka_monitor_rejected_total{reason="too_large"}'), 0);
  } finally {
    controller.abort();
    await running;
    await deleteKeysContaining(redis, spider);
    await redis.quit();
  }
});
