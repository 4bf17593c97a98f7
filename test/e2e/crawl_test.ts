/**
 * End to end, as the README runs it: kafka-monitor and crawler programs as subprocesses with the
 * permissions of their deno tasks, a crawl fed through Kafka, results read from the firehose.
 */
import assert from "node:assert/strict";
import { createKafka, ensureTopics } from "../../lib/services/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { readTopic } from "../topic_reader.ts";
import { eventually, randomName, redisEnv, type RedisKind, serviceEnv } from "../harness.ts";
import { testOnEachRedis } from "./redis_kinds.ts";
import { EXPECTED_DEPTH_1, EXPECTED_DEPTH_2, startTestSite } from "../site.ts";
import { componentCommand, startComponent } from "../processes.ts";

/** Random topics and group for one crawl on that Redis, no throttle, quick failures; topics created. */
async function crawlSetup(kind: RedisKind, extra: Record<string, string>) {
  const prefix = randomName("e2e");
  const env: Record<string, string> = {
    ...serviceEnv(),
    ...redisEnv(kind),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    KAFKA_GROUP: randomName("group"),
    DOWNLOAD_TIMEOUT: "1",
    RETRY_TIMES: "0",
    THROTTLE_ENABLED: "false",
    // The local test site is on 127.0.0.1 (kafka-monitor and crawler).
    ALLOW_PRIVATE_ADDRESSES: "true",
    ...extra,
  };
  const kafka = createKafka(env.KAFKA_HOSTS, "e2e");
  await ensureTopics(kafka, [crawledFirehose(prefix), env.KAFKA_INCOMING_TOPIC]);
  return { prefix, env, kafka };
}

testOnEachRedis(
  "a crawl fed through Kafka arrives on the firehose, each page once",
  async (kind) => {
    const site = await startTestSite();
    const { prefix, env, kafka } = await crawlSetup(kind, { IDLE_POLL_MS: "50" });
    const firehose = await readTopic(kafka, crawledFirehose(prefix));
    const results = firehose.messages;
    const monitor = startComponent("kafka-monitor", ["run"], env);
    const crawler = startComponent("crawler", ["run"], env);
    try {
      const crawlid = randomName("crawl");
      const fed = await componentCommand("kafka-monitor", [
        "feed",
        JSON.stringify({
          url: site.url("/"),
          appid: "testapp",
          crawlid,
          maxdepth: 1,
          allowed_domains: ["127.0.0.1"],
        }),
      ], env).output();
      assert.equal(fed.code, 0, new TextDecoder().decode(fed.stderr));
      // Every depth-1 page answers but /slow, which times out (DOWNLOAD_TIMEOUT 1 s, no retry).
      const expected = EXPECTED_DEPTH_1.filter((p) => p !== "/slow");
      await eventually(() => results.length >= expected.length, {
        what: `${expected.length} pages on the firehose`,
        timeoutMs: 30_000,
      });
      await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive
      const paths = results.map((r) => new URL(String(r.url)).pathname).sort();
      assert.deepEqual(paths, expected);
      assert.ok(results.every((r) => r.crawlid === crawlid && r.appid === "testapp"));
    } finally {
      const codes = await Promise.all([monitor.stop(), crawler.stop()]);
      await firehose.stop();
      await site.close();
      assert.deepEqual(codes, [0, 0], "both exit 0 on SIGTERM");
    }
  },
);

testOnEachRedis("two crawler processes share one crawl and fetch no page twice", async (kind) => {
  const site = await startTestSite();
  const { env } = await crawlSetup(kind, {
    IDLE_POLL_MS: "20",
    CONCURRENT_REQUESTS: "2",
    LOG_LEVEL: "WARNING",
    // The exact pages requested: robots.txt (one request per origin) is robots_test.ts's.
    ROBOTSTXT_OBEY: "false",
  });
  const components = [
    startComponent("kafka-monitor", ["run"], env),
    startComponent("crawler", ["run"], env),
    startComponent("crawler", ["run"], env),
  ];
  try {
    const fed = await componentCommand("kafka-monitor", [
      "feed",
      JSON.stringify({
        url: site.url("/"),
        appid: "testapp",
        crawlid: randomName("crawl"),
        maxdepth: 2,
        allowed_domains: ["127.0.0.1"],
      }),
    ], env).output();
    assert.equal(fed.code, 0);
    // The whole graph, /redirect's target /d included; /slow times out (no retry).
    const expected = [...EXPECTED_DEPTH_2, "/d"].sort();
    await eventually(() => new Set(site.requests.map((r) => r.path)).size === expected.length, {
      what: "every page requested",
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 500)); // nothing more may come
    const paths = site.requests.map((r) => r.path).sort();
    assert.deepEqual(paths, expected, "each page exactly once");
  } finally {
    const codes = await Promise.all(components.map((c) => c.stop()));
    await site.close();
    assert.deepEqual(codes, [0, 0, 0]);
  }
});
