/**
 * The minimal ACL of each component (`lib/services/redis_acl.ts`), proven against a real
 * redis-server started with those users (the open `default` user off): a crawler crawls a small
 * site to the end under its user (robots.txt, cookies, the throttle and refused requests
 * included), the kafka-monitor and the redis-monitor handle a crawl request, an info, a stats
 * request and a stop under theirs, REST stores and takes a poll. Redis's `ACL LOG` must stay
 * empty meanwhile: a command or key missing from a rule is refused there (NOPERM) even where the
 * component only logs it and retries. Each user is then refused something outside its rule.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  aclUser,
  componentAcl,
  REDIS_COMPONENTS,
  type RedisComponent,
} from "../../lib/services/redis_acl.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import {
  BatchingProducer,
  closeRedis,
  connectRedis,
  createKafka,
  ensureTopics,
  produceOnce,
  type RedisClient,
  type RedisSettings,
} from "../../lib/services/mod.ts";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import { outboundFirehose } from "../../lib/api/mod.ts";
import { startHeartbeat } from "../../lib/stats/mod.ts";
import { CrawlFixture, seedRequest } from "../crawl_fixture.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";
import { RedisPolls } from "../../components/rest/polls.ts";
import { RestStats } from "../../components/rest/stats.ts";
import { DashboardState } from "../../components/rest/ui_state.ts";
import { findHeartbeat } from "../../components/health/check.ts";
import { runKafkaMonitor } from "../../components/kafka-monitor/monitor.ts";
import { crawlProgress } from "../../lib/api/progress.ts";
import { openFrontierLayout } from "../../lib/frontier/mod.ts";
import { loadPlugins as loadKafkaPlugins } from "../../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { runRedisMonitor } from "../../components/redis-monitor/monitor.ts";
import { loadPlugins as loadRedisPlugins } from "../../components/redis-monitor/plugin.ts";
import { REDIS_MONITOR_SETTINGS } from "../../components/redis-monitor/settings.ts";
import { dumpTopic } from "../../components/kafkadump/dump.ts";
import link from "../../components/crawler/spiders/link.ts";

const password = (user: string) => `${user}-secret`;

/** The server's users: an admin for the test's own checks, one user per component. */
const USERS = [
  "default off",
  aclUser("admin", password("admin"), "~* &* +@all"),
  ...REDIS_COMPONENTS.map((c) => aclUser(c, password(c), componentAcl(c))),
];

interface AclRedis {
  port: number;
  admin: Redis;
  url(user: string): string;
  /** `ACL LOG` entries since the last reset, one line each ("user: reason object"). */
  refusals(): Promise<string[]>;
}

async function withAclRedis(fn: (r: AclRedis) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-acl-crawl-" });
  const port = await freePort();
  const proc = await startRedis(port, dir, { users: USERS });
  const url = (user: string) => `redis://${user}:${password(user)}@127.0.0.1:${port}/0`;
  const admin = new Redis(url("admin"));
  try {
    await admin.call("ACL", "LOG", "RESET");
    await fn({
      port,
      admin,
      url,
      refusals: async () => {
        const log = await admin.call("ACL", "LOG") as unknown[][];
        return log.map((entry) => {
          const e: Record<string, unknown> = {};
          for (let i = 0; i < entry.length; i += 2) e[String(entry[i])] = entry[i + 1];
          return `${e.username}: ${e.reason} ${e.object} (${e.context})`;
        });
      },
    });
  } finally {
    admin.disconnect();
    await proc.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function settingsOf(r: AclRedis, user: string): RedisSettings {
  return {
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: r.port,
    REDIS_DB: 0,
    REDIS_PASSWORD: null,
    REDIS_URL: r.url(user),
    REDIS_SOCKET_TIMEOUT: 10,
  };
}

/** `work`, failing with the ACL LOG's refusals when it fails (a timeout says little). */
async function naming<T>(r: AclRedis, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const refusals = await r.refusals().catch(() => []);
    if (refusals.length === 0) throw err;
    throw new Error(`${(err as Error).message}; refused by Redis:\n${refusals.join("\n")}`);
  }
}

/** Asserts that each call is refused with NOPERM. */
async function assertRefused(
  user: string,
  calls: Record<string, () => Promise<unknown>>,
): Promise<void> {
  for (const [what, call] of Object.entries(calls)) {
    await assert.rejects(call(), /NOPERM/, `${user} may not ${what}`);
  }
}

const TEXT = { "content-type": "text/plain" };

Deno.test("Redis ACL: a crawler crawls a site to the end under its minimal rule", async () => {
  await withAclRedis(async (r) => {
    const f = await CrawlFixture.start(
      {
        routes: {
          "/robots.txt": { headers: TEXT, body: "User-agent: *\nDisallow: /private\n" },
          "/": { body: '<a href="/a">a</a><a href="/b">b</a><a href="/private">p</a>' },
          "/a": { headers: { "set-cookie": "session=1; Path=/" }, body: '<a href="/c">c</a>' },
          "/b": { body: '<a href="/a">a</a>' },
          "/c": { body: "end" },
          "/private": { body: "secret" },
        },
      },
      "plain",
      { url: r.url("admin"), crawlerUrl: r.url("crawler-one") },
    );
    try {
      // A rule for this spider id only, set the way an operator would.
      const rule = componentAcl("crawler", { spiderids: [f.spiderName] });
      await r.admin.call(
        "ACL",
        ...`SETUSER ${aclUser("crawler-one", password("crawler-one"), rule)}`.split(" "),
      );
      const crawler = await f.startCrawler(link, {
        ROBOTSTXT_OBEY: true,
        THROTTLE_ENABLED: true,
        QUEUE_HITS: 1000,
        QUEUE_WINDOW: 1,
      });
      await f.seed(seedRequest({ url: f.site.url("/"), spiderid: f.spiderName, maxdepth: 2 }));
      await naming(r, f.settle({ pages: 4 }));
      // `deno task health crawler` finds this crawler's heartbeat with the crawler's user.
      const healthClient = await connectRedis(settingsOf(r, "crawler-one"), "acl-health");
      const beat = await naming(
        r,
        findHeartbeat(healthClient, "crawler", "testhost", { maxAgeSec: 60 }),
      );
      assert.equal(beat?.fresh, true);
      await closeRedis(healthClient);
      await crawler.stop(); // flushes stats, removes the heartbeat
      const pages = f.results.map((x) => new URL(String(x.url)).pathname).sort();
      assert.deepEqual(pages, ["/", "/a", "/b", "/c"]);
      assert.equal(f.site.hits("/private"), 0);
      assert.equal(await f.pending(), 0);
      assert.deepEqual(await r.refusals(), [], "no command or key of the crawl was refused");

      const client = await connectRedis(settingsOf(r, "crawler-one"), "acl-test");
      try {
        await assertRefused("the crawler", {
          FLUSHALL: () => client.flushall(),
          "write jobs:index": () => client.zadd("jobs:index", 0, "x"),
          "read REST polls": () => client.get("rest:poll:x"),
          "touch another spider's queue": () => client.zadd("other:example.com:queue", 0, "x"),
          "CONFIG SET": () => client.config("SET", "appendonly", "yes"),
        });
        // The refusals are in the ACL LOG the crawl was checked against.
        assert.ok((await r.refusals()).some((line) => line.startsWith("crawler-one: command")));
      } finally {
        await closeRedis(client);
      }
    } finally {
      await f.close();
    }
  });
});

Deno.test("Redis ACL: the monitors handle a feed, an info, stats and a stop under theirs", async () => {
  await withAclRedis(async (r) => {
    const env = serviceEnv();
    const prefix = randomName("acl");
    const spider = randomName("link");
    const kafka = createKafka(env.KAFKA_HOSTS, "acl-test");
    await ensureTopics(kafka, [`${prefix}.incoming`, outboundFirehose(prefix)]);
    const stop = new AbortController();
    const running: Promise<unknown>[] = [];
    const answers: Record<string, unknown>[] = [];
    const ready = Promise.withResolvers<void>();
    running.push(dumpTopic(kafka, outboundFirehose(prefix), {
      fromBeginning: true,
      signal: stop.signal,
      write: (line) => void answers.push(JSON.parse(line)),
      onReady: () => ready.resolve(),
    }));
    await ready.promise;
    const clients: RedisClient[] = [];
    const connectAs = async (user: RedisComponent) => {
      const client = await connectRedis(settingsOf(r, user), user);
      clients.push(client);
      return client;
    };
    try {
      const kmSettings = loadSettings(KAFKA_MONITOR_SETTINGS, {
        env: { REDIS_URL: r.url("kafka-monitor"), KAFKA_HOSTS: env.KAFKA_HOSTS },
        overrides: {
          KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
          KAFKA_GROUP: randomName("group"),
          KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 100,
          ALLOW_PRIVATE_ADDRESSES: true,
          STATS_DUMP: 1, // its stats dump reads its own stats
        },
      });
      const kmRedis = await connectAs("kafka-monitor");
      const kmLog = getLog("kafka-monitor", "test");
      const kmPlugins = await loadKafkaPlugins(kmSettings.PLUGINS, {
        settings: kmSettings,
        redis: kmRedis,
        log: kmLog,
      });
      running.push(runKafkaMonitor({
        settings: kmSettings,
        redis: kmRedis,
        plugins: kmPlugins,
        log: kmLog,
      }, { signal: stop.signal }));

      const rmSettings = loadSettings(REDIS_MONITOR_SETTINGS, {
        env: {
          REDIS_URL: r.url("redis-monitor"),
          KAFKA_HOSTS: env.KAFKA_HOSTS,
          ZOOKEEPER_HOSTS: env.ZOOKEEPER_HOSTS,
        },
        overrides: {
          KAFKA_TOPIC_PREFIX: prefix,
          KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
          SLEEP_TIME: 0.02,
          STATS_DUMP: 1, // its stats dump reads every component's stats and the queues
          QUEUE_SCAN_INTERVAL: 1, // the queue sweep runs meanwhile
          JOB_SCAN_INTERVAL: 1, // and the search for job keys written without the index
        },
      });
      const rmRedis = await connectAs("redis-monitor");
      const producer = new BatchingProducer(kafka, rmSettings);
      await producer.connect();
      const rmLog = getLog("redis-monitor", "test");
      const rmPlugins = await loadRedisPlugins(rmSettings.PLUGINS, {
        settings: rmSettings,
        redis: rmRedis,
        log: rmLog,
      });
      running.push(
        runRedisMonitor({
          settings: rmSettings,
          redis: rmRedis,
          plugins: rmPlugins,
          producer,
          log: rmLog,
        }, { signal: stop.signal }).finally(() => producer.close()),
      );

      const feed = (msg: unknown) =>
        produceOnce(kafka, `${prefix}.incoming`, JSON.stringify(msg), 10_000);
      const answer = (uuid: string) =>
        eventually(() => answers.find((a) => a.uuid === uuid), {
          what: `the answer ${uuid}`,
          timeoutMs: 20_000,
        });
      const crawl = { appid: "aclapp", crawlid: "crawl1", spiderid: spider };
      await feed({
        ...crawl,
        url: "http://127.0.0.1:9/page",
        tags: ["gpu"], // a tagged family
        expires: Math.floor(Date.now() / 1000) + 3600, // the expire job and its timeout key
      });
      await feed({ ...crawl, url: "http://127.0.0.1:9/other" });
      const pending = async () => {
        const uuid = randomName("info");
        await feed({ action: "info", ...crawl, uuid });
        return (await answer(uuid)).total_pending;
      };
      await naming(
        r,
        eventually(async () => await pending() === 2, { what: "both requests queued" }),
      );
      // `feed --watch` reads the crawl's progress with the kafka-monitor's user.
      const watched = await naming(
        r,
        crawlProgress(kmRedis, await openFrontierLayout(kmRedis), spider, "aclapp", "crawl1"),
      );
      assert.equal(watched.pending, 2);
      const statsUuid = randomName("stats");
      await feed({ stats: "all", appid: "aclapp", uuid: statsUuid });
      assert.ok("kafka-monitor" in (await naming(r, answer(statsUuid))), "stats answered");
      const stopUuid = randomName("stop");
      await feed({ action: "stop", ...crawl, uuid: stopUuid });
      assert.equal((await naming(r, answer(stopUuid))).total_purged, 2);

      // webhook-add, -list and -remove (the redis-monitor keeps the hooks).
      for (const action of ["webhook-add", "webhook-list", "webhook-remove"]) {
        const uuid = randomName("hook");
        await feed({ action, appid: "aclapp", uuid, url: "http://127.0.0.1:9/hook" });
        const got = await naming(r, answer(uuid));
        assert.equal(got.error, undefined, `${action}: ${JSON.stringify(got)}`);
      }
      // A job key written without the index (an old tool's) is found and handled.
      await r.admin.set(`info:${spider}:aclapp:crawl1`, "unlisted");
      await naming(r, answer("unlisted"));

      // REST's part: a poll stored and taken, stats and a heartbeat.
      const restRedis = await connectAs("rest");
      const polls = new RedisPolls(restRedis, 60);
      await polls.put("poll1", '{"ok":1}');
      assert.equal(await polls.take("poll1"), '{"ok":1}');
      const restStats = new RestStats(restRedis, { windows: [900], total: true, endpoints: true });
      restStats.count("/feed", true);
      await restStats.close();
      const beat = new AbortController();
      await startHeartbeat(restRedis, "stats:rest:self:testhost:acl", {
        ttlSec: 60,
        signal: beat.signal,
      });
      beat.abort();
      // The dashboard's state (GET /ui/api/state) read with REST's user.
      const dashboard = await naming(r, new DashboardState(restRedis).read());
      assert.ok(Array.isArray(dashboard.crawls), JSON.stringify(dashboard).slice(0, 200));

      // Let the stats dumps and the queue sweep run once more.
      await new Promise((ok) => setTimeout(ok, 1_500));
      assert.deepEqual(await r.refusals(), [], "no command or key was refused");

      const km = clients[0], rm = clients[1];
      await assertRefused("the kafka-monitor", {
        FLUSHALL: () => km.flushall(),
        "take a REST poll": () => km.getdel("rest:poll:x"),
        "write robots.txt entries": () => km.set("robots:http:example.com:80", "x"),
      });
      await assertRefused("the redis-monitor", {
        FLUSHDB: () => rm.flushdb(),
        "write REST polls": () => rm.set("rest:poll:x", "1"),
        "write another component's stats": () => rm.incr("stats:rest:total:lifetime"),
      });
      await assertRefused("REST", {
        "touch queues": () => restRedis.zadd(`${spider}:example.com:queue`, 0, "x"),
        "write jobs": () => restRedis.set(`info:${spider}:aclapp`, "x"),
        KEYS: () => restRedis.keys("*"),
      });
      const webhook = await connectAs("webhook");
      await assertRefused("the webhook", {
        "register hooks": () => webhook.sadd("webhooks:apps", "x"),
        "read queues": () => webhook.zrange(`${spider}:example.com:queue`, "0", "-1"),
      });
    } finally {
      stop.abort();
      await Promise.allSettled(running);
      for (const c of clients) await closeRedis(c).catch(() => {});
    }
  });
});
