/**
 * End to end: domain throttling and blacklists changed through the Kafka API while a crawler
 * process crawls, and a crawler riding out a ZooKeeper restart.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  closeZookeeper,
  connectZookeeper,
  create,
  createKafka,
  ensureTopics,
  produceOnce,
  setData,
} from "../../lib/services/mod.ts";
import { startZookeeper } from "../../lib/services/local/zookeeper_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { outboundFirehose } from "../../lib/api/mod.ts";
import {
  eventually,
  isolatedRedisUrl,
  randomName,
  redisEnv,
  type RedisKind,
  serviceEnv,
  testRedis,
} from "../harness.ts";
import type { RedisClient } from "../../lib/services/mod.ts";
import { type RunningComponent, startComponent } from "../processes.ts";
import { fanOutRoutes, startTestSite, type TestSite } from "../site.ts";
import { flushAll, testOnEachRedis } from "./redis_kinds.ts";
import { readTopic } from "../topic_reader.ts";

const DB = 12;

/**
 * A Redis of the test's own, emptied: database 12 of the plain Redis, or the whole test cluster
 * (a cluster has one database; the suite's files run one after another). With the environment
 * components need to use it.
 */
async function ownRedis(
  kind: RedisKind,
): Promise<{ redis: RedisClient; env: Record<string, string> }> {
  const redis = kind === "plain" ? new Redis(isolatedRedisUrl(DB)) : testRedis(kind);
  await flushAll(redis);
  const env = kind === "plain"
    ? { REDIS_URL: isolatedRedisUrl(DB), REDIS_CLUSTER_NODES: "" }
    : redisEnv(kind);
  return { redis, env };
}

function linkedSite(pages: number): Promise<TestSite> {
  return startTestSite({ routes: fanOutRoutes(pages) });
}

testOnEachRedis(
  "domain-update and blacklist through the Kafka API apply to a running crawler",
  async (kind) => {
    const site = await linkedSite(20);
    const own = await ownRedis(kind);
    const redis = own.redis;
    const prefix = randomName("live");
    const env = {
      ...serviceEnv(),
      ...own.env,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
      KAFKA_GROUP: randomName("group"),
      ZOOKEEPER_ASSIGN_PATH: `/crawl-cluster-test/${randomName("zk")}/`,
      // One page a minute until the domain gets its own budget (robots.txt off: its fetch would
      // take that page's hit).
      ROBOTSTXT_OBEY: "false",
      QUEUE_HITS: "1",
      QUEUE_WINDOW: "60",
      QUEUE_MODERATED: "false",
      IDLE_POLL_MS: "20",
      SLEEP_TIME: "0.02",
      LOG_LEVEL: "WARNING",
      // The local test site is on 127.0.0.1 (kafka-monitor and crawler).
      ALLOW_PRIVATE_ADDRESSES: "true",
    };
    const kafka = createKafka(env.KAFKA_HOSTS, "e2e-live");
    await ensureTopics(kafka, [env.KAFKA_INCOMING_TOPIC, outboundFirehose(prefix)]);
    const outbound = await readTopic(kafka, outboundFirehose(prefix));
    const answers = outbound.messages;
    const feed = (req: unknown) =>
      produceOnce(kafka, env.KAFKA_INCOMING_TOPIC, JSON.stringify(req), 10_000);
    const components: RunningComponent[] = ["kafka-monitor", "redis-monitor", "crawler"].map((c) =>
      startComponent(c, ["run"], env)
    );
    try {
      await feed({ url: site.url("/"), appid: "testapp", crawlid: "c1", maxdepth: 1 });
      await eventually(() => site.hits("/") === 1, { what: "the seed crawled", timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(site.requests.length, 1, "the budget of one page a minute holds");

      await feed({
        uuid: "z1",
        appid: "testapp",
        action: "domain-update",
        domain: "127.0.0.1",
        hits: 100,
        window: 60,
        scale: 1.0,
      });
      const answer = await eventually(() => answers.find((a) => a.uuid === "z1"), {
        what: "the domain-update answer",
      });
      assert.deepEqual({ ...answer, server_time: 0 }, {
        uuid: "z1",
        server_time: 0,
        action: "domain-update",
        domain: "127.0.0.1",
        appid: "testapp",
      });
      await eventually(() => site.requests.length === 21, {
        what: "the rest of the crawl under the new budget",
        timeoutMs: 15_000,
      });

      await feed({ uuid: "z2", appid: "testapp", action: "blacklist-update", domain: "127.0.0.1" });
      await eventually(() => answers.find((a) => a.uuid === "z2"), { what: "blacklist answer" });
      await new Promise((r) => setTimeout(r, 1_500)); // the crawler applies it within moments
      await feed({ url: site.url("/p3?again"), appid: "testapp", crawlid: "c2" });
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(site.hits("/p3?again"), 0, "a blacklisted domain is not crawled");

      await feed({ uuid: "z3", appid: "testapp", action: "blacklist-remove", domain: "127.0.0.1" });
      await eventually(() => site.hits("/p3?again") === 1, {
        what: "the kept backlog crawled once unblocked",
        timeoutMs: 15_000,
      });
    } finally {
      const codes = await Promise.all(components.map((c) => c.stop()));
      await outbound.stop();
      await site.close();
      await flushAll(redis);
      await redis.quit();
      assert.deepEqual(codes, [0, 0, 0]);
    }
  },
);

Deno.test("a crawler keeps crawling while ZooKeeper is down and re-watches when it returns", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zk-restart-" });
  const port = freePort();
  let zk = await startZookeeper(port, dir);
  const site = await linkedSite(200);
  const redis = new Redis(isolatedRedisUrl(DB));
  await redis.flushdb();
  const path = `/crawl-cluster-test/${randomName("zk")}/`;
  const env = {
    ...serviceEnv(),
    REDIS_URL: isolatedRedisUrl(DB),
    ZOOKEEPER_HOSTS: `127.0.0.1:${port}`,
    ZOOKEEPER_ASSIGN_PATH: path,
    KAFKA_TOPIC_PREFIX: randomName("zkr"),
    KAFKA_INCOMING_TOPIC: `${randomName("zkr")}.incoming`,
    KAFKA_GROUP: randomName("group"),
    QUEUE_HITS: "4",
    QUEUE_WINDOW: "1",
    QUEUE_MODERATED: "true",
    IDLE_POLL_MS: "20",
    LOG_LEVEL: "WARNING",
    // The local test site is on 127.0.0.1 (kafka-monitor and crawler).
    ALLOW_PRIVATE_ADDRESSES: "true",
  };
  const monitor = startComponent("kafka-monitor", ["run"], env);
  const crawlerLog = await Deno.makeTempFile({ suffix: ".log" });
  const crawler = startComponent("crawler", ["run"], { ...env, LOG_LEVEL: "INFO" }, {
    logPath: crawlerLog,
  });
  try {
    await produceOnce(
      createKafka(env.KAFKA_HOSTS, "e2e-zk"),
      env.KAFKA_INCOMING_TOPIC,
      JSON.stringify({ url: site.url("/"), appid: "testapp", crawlid: "c1", maxdepth: 1 }),
      10_000,
    );
    await eventually(() => site.requests.length >= 3, { what: "crawling", timeoutMs: 30_000 });
    await zk.stop();
    const atStop = site.requests.length;
    await eventually(() => site.requests.length >= atStop + 4, {
      what: "crawling on while ZooKeeper is down",
      timeoutMs: 10_000,
    });
    zk = await startZookeeper(port, dir);
    // Blacklist the domain through ZooKeeper directly: the crawler must see it.
    const client = await connectZookeeper(`127.0.0.1:${port}`);
    try {
      await create(client, `${path}all`, "", { mkdirp: true }).catch(() => false);
      await setData(client, `${path}all`, "blacklist:\n- 127.0.0.1\ndomains: {}\n");
    } finally {
      await closeZookeeper(client);
    }
    await new Promise((r) => setTimeout(r, 3_000)); // reconnect, re-read, apply
    const afterBlacklist = site.requests.length;
    await new Promise((r) => setTimeout(r, 2_000));
    assert.ok(
      site.requests.length - afterBlacklist <= 1,
      `no crawling after the blacklist: ${site.requests.length - afterBlacklist} more`,
    );
  } finally {
    const codes = await Promise.all([monitor.stop(), crawler.stop()]);
    // The outage is reported once when it starts and once when it ends, not per retry (the
    // log is complete once the crawler has stopped).
    const lines = (await Deno.readTextFile(crawlerLog)).split("\n");
    await Deno.remove(crawlerLog).catch(() => {});
    const away = lines.filter((l) => /WARNING: .*ZooKeeper (unreachable|connection lost)/.test(l));
    const back = lines.filter((l) => /INFO: .*ZooKeeper (back|connection back)/.test(l));
    assert.equal(away.length, 1, `one warning for the outage:\n${away.join("\n")}`);
    assert.equal(back.length, 1, `one info when ZooKeeper is back:\n${back.join("\n")}`);
    await zk.stop();
    await site.close();
    await redis.flushdb();
    await redis.quit();
    await Deno.remove(dir, { recursive: true });
    assert.deepEqual(codes, [0, 0]);
  }
});
