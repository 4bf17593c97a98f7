/**
 * Fast reclaim, end to end: two crawler processes share a crawl; one is SIGKILLed mid-crawl.
 * Its leases name it and its heartbeat key lapses after `HEARTBEAT_TIMEOUT`, so the other
 * crawler puts its requests back at once. `LEASE_TIMEOUT` is 300 s, beyond this test's timeout:
 * the crawl completing proves the requests came back through the heartbeat.
 */
import assert from "node:assert/strict";
import { createKafka, ensureTopics } from "../../lib/services/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { parseLease } from "../../lib/frontier/mod.ts";
import { readTopic } from "../topic_reader.ts";
import { eventually, randomName, redisEnv, serviceEnv, testRedis } from "../harness.ts";
import { allLeases, queued, testOnEachRedis } from "./redis_kinds.ts";
import { fanOutRoutes, startTestSite } from "../site.ts";
import { componentCommand, startComponent } from "../processes.ts";

testOnEachRedis(
  "a SIGKILLed crawler's pages come back through its heartbeat, long before LEASE_TIMEOUT",
  async (kind) => {
    const pages = 60;
    const site = await startTestSite({ routes: fanOutRoutes(pages, { delayMs: 300 }) });
    const prefix = randomName("e2e");
    const spider = "link";
    const env: Record<string, string> = {
      ...serviceEnv(),
      ...redisEnv(kind),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
      KAFKA_GROUP: randomName("group"),
      THROTTLE_ENABLED: "false",
      ROBOTSTXT_OBEY: "false",
      ALLOW_PRIVATE_ADDRESSES: "true",
      IDLE_POLL_MS: "50",
      CONCURRENT_REQUESTS: "4",
      LOG_LEVEL: "WARNING",
      LEASE_TIMEOUT: "300",
      HEARTBEAT_TIMEOUT: "3",
    };
    const kafka = createKafka(env.KAFKA_HOSTS, "e2e");
    await ensureTopics(kafka, [crawledFirehose(prefix), env.KAFKA_INCOMING_TOPIC]);
    const firehose = await readTopic(kafka, crawledFirehose(prefix));
    const results = firehose.messages;
    const redis = testRedis(kind);
    const crawlid = randomName("crawl");
    const monitor = startComponent("kafka-monitor", ["run"], env);
    const survivor = startComponent("crawler", ["run"], env);
    const victim = startComponent("crawler", ["run"], env);
    try {
      const fed = await componentCommand("kafka-monitor", [
        "feed",
        JSON.stringify({ url: site.url("/"), appid: "testapp", crawlid, maxdepth: 1 }),
      ], env).output();
      assert.equal(fed.code, 0, new TextDecoder().decode(fed.stderr));
      // Mid-crawl: both crawlers hold leases (the spider's leases are shared with other e2e
      // crawls only by name; this crawl's pages are counted on the firehose).
      await eventually(() => results.length >= 3, {
        what: "the crawl to start",
        timeoutMs: 30_000,
      });
      // Kill while both crawlers hold leases of this crawl: the victim's must come back.
      await eventually(async () => {
        const leases = (await allLeases(redis, spider))
          .filter((l) => l.includes(crawlid)).map(parseLease);
        return new Set(leases.map((l) => l.holder)).size >= 2;
      }, { what: "both crawlers holding leases", timeoutMs: 30_000 });
      victim.child.kill("SIGKILL");
      await victim.child.status;
      const mine = () => results.filter((r) => r.crawlid === crawlid);
      await eventually(() => new Set(mine().map((r) => r.url)).size === pages + 1, {
        what: `all ${pages + 1} pages despite the SIGKILL`,
        timeoutMs: 60_000,
      });
      const paths = new Set(mine().map((r) => new URL(String(r.url)).pathname));
      assert.equal(paths.size, pages + 1);
      // Nothing of this crawl left leased or queued (other tests may share the spider's keys).
      const ofCrawl = (members: string[]) => members.filter((m) => m.includes(crawlid)).length;
      await eventually(async () => {
        const leased = ofCrawl(await allLeases(redis, spider));
        const waiting = ofCrawl(await queued(redis, spider, "127.0.0.1"));
        return leased === 0 && waiting === 0;
      }, { what: "no lease or queued request of the crawl left", timeoutMs: 10_000 });
    } finally {
      await Promise.all([monitor.stop(), survivor.stop(), victim.stop().catch(() => 0)]);
      await firehose.stop();
      await redis.quit();
      await site.close();
    }
  },
);
