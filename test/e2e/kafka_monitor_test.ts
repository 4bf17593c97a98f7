/**
 * End to end: the kafka-monitor program as the README runs it, as subprocesses with the same
 * permissions as its deno tasks, against the real services; with a redis-monitor program, the
 * info, stop and expire actions answered from what the fed crawls queued. The tests that touch
 * the frontier run on plain Redis and on the Redis Cluster.
 */
import assert from "node:assert/strict";
import { createKafka, ensureTopics, produceOnce } from "../../lib/services/mod.ts";
import { outboundFirehose } from "../../lib/api/mod.ts";
import { componentCommand, startComponent } from "../processes.ts";
import {
  deleteKeysContaining,
  eventually,
  randomName,
  redisEnv,
  type RedisKind,
  serviceEnv,
  testRedis,
} from "../harness.ts";
import { queued, testOnEachRedis } from "./redis_kinds.ts";
import { readTopic } from "../topic_reader.ts";

const monitorCommand = (args: string[], env: Record<string, string>, kind?: RedisKind) =>
  componentCommand("kafka-monitor", args, env, { redis: kind });

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

testOnEachRedis(
  "kafka-monitor feed + run puts a fed crawl request into its domain queue",
  async (kind) => {
    const redis = testRedis(kind);
    const spider = randomName("spider");
    const topic = randomName("incoming");
    const env = {
      ...serviceEnv(),
      KAFKA_INCOMING_TOPIC: topic,
      KAFKA_GROUP: randomName("group"),
    };
    const runner = monitorCommand(["run", "-ll", "DEBUG"], env, kind).spawn();
    try {
      const request = JSON.stringify({
        url: "http://example.com",
        appid: "testapp",
        crawlid: "abc123",
        spiderid: spider,
      });
      const fed = await monitorCommand(["feed", request], env).output();
      assert.equal(fed.code, 0, text(fed.stderr));
      // stdout holds the log lines (LOG_STDOUT) and the pretty-printed request that was sent.
      const printed = text(fed.stdout).match(/^\{$[\s\S]*?^\}$/m)?.[0];
      assert.ok(printed, text(fed.stdout));
      assert.deepEqual(JSON.parse(printed), JSON.parse(request));
      assert.match(text(fed.stdout), /Successfully fed item to Kafka/);
      const member = await eventually(
        () => queued(redis, spider, "example.com").then((m) => m[0]),
        { what: "the fed request in Redis", timeoutMs: 30_000 },
      );
      assert.equal(JSON.parse(member).crawlid, "abc123");
    } finally {
      runner.kill("SIGTERM");
      const status = await runner.status;
      await runner.stdout.cancel();
      await runner.stderr.cancel();
      await deleteKeysContaining(redis, spider);
      await redis.quit();
      assert.equal(status.code, 0, "run exits 0 on SIGTERM");
    }
  },
);

Deno.test("kafka-monitor feed rejects invalid JSON with one line and exit code 1", async () => {
  const out = await monitorCommand(["feed", "{not json"], serviceEnv()).output();
  assert.equal(out.code, 1);
  const lines = text(out.stderr).trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^Cannot feed: invalid JSON/);
  assert.doesNotMatch(text(out.stdout), /Feeding JSON/);
});

Deno.test("kafka-monitor run fails early with one line when Redis is unreachable", async () => {
  const out = await monitorCommand(["run"], {
    ...serviceEnv(),
    REDIS_URL: "redis://127.0.0.1:1/0",
    REDIS_SOCKET_TIMEOUT: "2",
  }).output();
  assert.equal(out.code, 1);
  assert.match(text(out.stderr), /Cannot connect to Redis at 127\.0\.0\.1:1\/0/);
});

Deno.test("kafka-monitor rejects unknown flags and bad settings before connecting", async () => {
  const flag = await monitorCommand(["run", "--bogus"], serviceEnv()).output();
  assert.equal(flag.code, 2);
  assert.equal(text(flag.stderr).trim().split("\n").length, 1);
  const setting = await monitorCommand(["run"], { ...serviceEnv(), REDIS_PORT: "abc" }).output();
  assert.equal(setting.code, 1);
  assert.match(text(setting.stderr), /REDIS_PORT/);
  const help = await monitorCommand(["--help"], serviceEnv()).output();
  assert.equal(help.code, 0);
  assert.match(text(help.stdout), /run/);
  assert.match(text(help.stdout), /feed/);
});

testOnEachRedis(
  "info, stop and expire through Kafka answer from what the fed crawls queued",
  async (kind) => {
    const redis = testRedis(kind);
    const spider = randomName("spider");
    const prefix = randomName("e2e");
    const env = {
      ...serviceEnv(),
      ...redisEnv(kind),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
      KAFKA_GROUP: randomName("group"),
      SLEEP_TIME: "0.05",
      LOG_LEVEL: "WARNING",
    };
    const kafka = createKafka(env.KAFKA_HOSTS, "e2e-actions");
    await ensureTopics(kafka, [env.KAFKA_INCOMING_TOPIC, outboundFirehose(prefix)]);
    const outbound = await readTopic(kafka, outboundFirehose(prefix));
    const answers = outbound.messages;
    const feed = (req: unknown) =>
      produceOnce(kafka, env.KAFKA_INCOMING_TOPIC, JSON.stringify(req), 10_000);
    const answer = (match: (a: Record<string, unknown>) => boolean, what: string) =>
      eventually(() => answers.find(match), { what, timeoutMs: 30_000 });
    // Several domains, so that on the cluster the crawls spread over shards (and masters).
    const id = randomName("d");
    const domains = Array.from({ length: 6 }, (_, i) => `d${i}-${id}.com`);
    const crawl = (crawlid: string, domain: string, extra = {}) => ({
      url: `http://${domain}/`,
      appid: "testapp",
      crawlid,
      spiderid: spider,
      priority: 5,
      ...extra,
    });
    const pendingOf = async (crawlid: string) => {
      const members = await Promise.all(domains.map((d) => queued(redis, spider, d)));
      return members.flat().filter((m) => JSON.parse(m).crawlid === crawlid).length;
    };
    const components = ["kafka-monitor", "redis-monitor"].map((c) =>
      startComponent(c, ["run"], env, { redis: kind })
    );
    try {
      for (const d of domains) await feed(crawl("c1", d));
      for (const d of domains.slice(0, 2)) await feed(crawl("keep", d));
      await eventually(async () => await pendingOf("c1") === 6 && await pendingOf("keep") === 2, {
        what: "both crawls queued",
        timeoutMs: 30_000,
      });

      await feed({ action: "info", appid: "testapp", crawlid: "c1", uuid: "i1", spiderid: spider });
      const info = await answer((a) => a.uuid === "i1", "the info answer");
      assert.deepEqual({ ...info, server_time: 0 }, {
        server_time: 0,
        crawlid: "c1",
        total_pending: 6,
        total_domains: 6,
        spiderid: spider,
        appid: "testapp",
        domains: Object.fromEntries(
          domains.map((d) => [d, { low_priority: 5, high_priority: 5, total: 1 }]),
        ),
        uuid: "i1",
      });

      await feed({ action: "stop", appid: "testapp", crawlid: "c1", uuid: "s1", spiderid: spider });
      const stop = await answer((a) => a.uuid === "s1", "the stop answer");
      assert.deepEqual({ ...stop, server_time: 0 }, {
        total_purged: 6,
        server_time: 0,
        crawlid: "c1",
        uuid: "s1",
        spiderid: spider,
        appid: "testapp",
        action: "stop",
      });
      assert.equal(await pendingOf("c1"), 0, "the stopped crawl is gone from every shard");
      assert.equal(await pendingOf("keep"), 2, "the other crawl is kept");
      // A stopped crawl is blacklisted in every shard: a new seed of it is refused anywhere.
      await feed(crawl("c1", domains[5], { url: `http://${domains[5]}/again` }));
      await feed({ action: "info", appid: "testapp", uuid: "i2", spiderid: spider });
      const app = await answer((a) => a.uuid === "i2", "the application info answer");
      assert.equal(app.total_pending, 2, JSON.stringify(app));
      assert.deepEqual(Object.keys(app.crawlids as object), ["keep"]);

      // Expiry: the kafka-monitor is running by now, so the seeds are queued well before it.
      const expires = Math.floor(Date.now() / 1000) + 3;
      for (const d of domains.slice(2, 5)) await feed(crawl("soon", d, { expires }));
      const expired = await answer(
        (a) => a.action === "expired" && a.crawlid === "soon",
        "the expired notice",
      );
      assert.ok(Date.now() / 1000 >= expires, "not before its time");
      assert.deepEqual({ ...expired, server_time: 0 }, {
        total_expired: 3,
        server_time: 0,
        crawlid: "soon",
        spiderid: spider,
        appid: "testapp",
        action: "expired",
      });
      assert.equal(await pendingOf("soon"), 0);
      assert.equal(await pendingOf("keep"), 2);
    } finally {
      const codes = await Promise.all(components.map((c) => c.stop()));
      await outbound.stop();
      await deleteKeysContaining(redis, spider);
      await redis.quit();
      assert.deepEqual(codes, [0, 0], "both exit 0 on SIGTERM");
    }
  },
);
