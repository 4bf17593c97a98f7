/**
 * `feed --watch` as a process, against the real services: a kafka-monitor process takes the
 * request into Redis, a crawler in this process crawls the local test site, and the watch
 * (stdout a pipe, so not a TTY) prints plain progress lines and a summary with the crawl's
 * numbers, and exits 0. Failing to feed exits 1 and feeds nothing.
 */
import assert from "node:assert/strict";
import link from "../../components/crawler/spiders/link.ts";
import { createKafka, ensureTopics } from "../../lib/services/mod.ts";
import { CrawlFixture } from "../crawl_fixture.ts";
import { randomName, serviceEnv } from "../harness.ts";
import { componentCommand, startComponent } from "../processes.ts";
import { fanOutRoutes } from "../site.ts";

const PAGES = 12;

/** A fan-out site of PAGES slow-ish pages, plus one link that answers 404. */
function routes() {
  const site = fanOutRoutes(PAGES, { delayMs: 300 });
  const home = site["/"] as { body: string };
  return { ...site, "/": { body: `${home.body}<a href="/missing">gone</a>` } };
}

Deno.test("feed --watch follows the crawl to its end with plain lines and a right summary", async () => {
  const f = await CrawlFixture.start({ routes: routes() });
  const topic = randomName("incoming");
  const env = {
    ...Deno.env.toObject(),
    ...serviceEnv(),
    KAFKA_INCOMING_TOPIC: topic,
    KAFKA_GROUP: randomName("group"),
    // The local test site is on 127.0.0.1: the kafka-monitor must accept the seed.
    ALLOW_PRIVATE_ADDRESSES: "true",
    LOG_LEVEL: "WARNING",
  };
  await ensureTopics(createKafka(env.KAFKA_HOSTS, "feed-watch-test"), [topic]);
  const monitor = startComponent("kafka-monitor", ["run"], env);
  const crawler = await f.startCrawler(link, { ROBOTSTXT_OBEY: false });
  try {
    const request = {
      url: f.site.url("/"),
      appid: "watchapp",
      crawlid: randomName("crawl"),
      spiderid: f.spiderName,
      maxdepth: 1,
    };
    const out = await componentCommand(
      "kafka-monitor",
      ["feed", "--watch", "--idle", "2", JSON.stringify(request)],
      env,
    ).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `${stdout}\n${stderr}`);

    assert.ok(!stdout.includes("\r") && !stdout.includes("\x1b"), "no terminal control");
    const progress = stdout.split("\n").filter((l) => /^\[\d+s\] \d+ done, /.test(l));
    assert.ok(progress.length >= 1, stdout);
    assert.match(
      stdout,
      new RegExp(`^Crawl ${request.crawlid} finished: nothing pending for`, "m"),
    );
    // Every page of the site and the home page got a response below 400; /missing got a 404.
    assert.match(
      stdout,
      new RegExp(`^ {2}${PAGES + 1} pages done, 1 error, 0 refused, 0 pending, in `, "m"),
    );
    assert.equal(f.site.hits("/missing"), 1);
  } finally {
    await crawler.stop();
    await monitor.stop();
    await f.close();
  }
});

Deno.test("feed --watch exits 1 and feeds nothing for a request that is not a crawl", async () => {
  const env = { ...Deno.env.toObject(), ...serviceEnv(), KAFKA_INCOMING_TOPIC: randomName("in") };
  const out = await componentCommand(
    "kafka-monitor",
    ["feed", "--watch", '{"action":"info","appid":"a","uuid":"u","spiderid":"link"}'],
    env,
  ).output();
  assert.equal(out.code, 1);
  assert.equal(new TextDecoder().decode(out.stdout), "");
  assert.equal(
    new TextDecoder().decode(out.stderr).trim(),
    "Cannot watch: --watch follows a crawl request, which names url, appid and crawlid",
  );
});

Deno.test("feed --watch exits 1 when Kafka does not take the request", async () => {
  const env = {
    ...Deno.env.toObject(),
    ...serviceEnv(),
    KAFKA_HOSTS: "127.0.0.1:1",
    KAFKA_FEED_TIMEOUT: "2",
  };
  const out = await componentCommand(
    "kafka-monitor",
    ["feed", "--watch", '{"url":"http://example.com","appid":"a","crawlid":"c"}'],
    env,
  ).output();
  assert.equal(out.code, 1);
  assert.equal(new TextDecoder().decode(out.stdout), "", "no progress shown");
  assert.match(new TextDecoder().decode(out.stderr), /^Cannot (feed|connect to Kafka)/m);
});
