/**
 * Everything outside the frontier on a real three-master Redis Cluster (started by `deno task
 * test`): the connection and its fail-early line, scanKeys over every master, the cross-slot
 * helpers, stats writers and readers, job locks and answers, the robots cache, heartbeats, and a
 * master restarted mid-way losing nothing. Each test also runs on plain Redis where the code
 * differs, so both layouts stay covered.
 */

import assert from "node:assert/strict";
import {
  closeRedis,
  commandBatch,
  connectRedis,
  deleteKeys,
  getKeys,
  isRedisCluster,
  type RedisClient,
  redisOutage,
  redisReady,
  scanKeys,
} from "../../lib/services/mod.ts";
import {
  addJob,
  finishHandledJob,
  finishJob,
  indexUnlistedJobs,
  JOBS_INDEX_KEY,
  jobWaiters,
  jobWaitersKey,
  tryLock,
} from "../../lib/api/mod.ts";
import {
  BufferedCounter,
  componentStats,
  heartbeatKey,
  hostName,
  PROCESS_ID,
  readStatsKeys,
  redisStatsWriter,
  startHeartbeat,
  StatsCollector,
  statsKey,
} from "../../lib/stats/mod.ts";
import { RobotsCache } from "../../components/crawler/robots/cache.ts";
import { startRedisCluster } from "../../lib/services/local/mod.ts";
import { getLogger } from "@logtape/logtape";
import {
  deleteKeysContaining,
  eventually,
  randomName,
  type RedisKind,
  redisKinds,
  testRedisSettings,
} from "../harness.ts";

const onCluster = redisKinds().includes("cluster");

/** Runs `fn` with a component-style client (connectRedis) on each kind of Redis. */
function eachKind(name: string, fn: (redis: RedisClient, kind: RedisKind) => Promise<void>) {
  for (const kind of redisKinds()) {
    Deno.test(`${name} (${kind} Redis)`, async () => {
      const redis = await connectRedis(testRedisSettings(kind), "cluster-test");
      try {
        await fn(redis, kind);
      } finally {
        await closeRedis(redis);
      }
    });
  }
}

/** The master node holding `key`, as "host:port". */
async function nodeOf(redis: RedisClient, key: string): Promise<string> {
  if (!isRedisCluster(redis)) return "single";
  const slot = await redis.cluster("KEYSLOT", key) as number;
  const slots = await redis.cluster("SLOTS");
  const [, , [host, port]] = slots.find(([from, to]) => slot >= from && slot <= to)!;
  return `${host}:${port}`;
}

Deno.test({
  name: "connectRedis(): a cluster client reaches every master; a wrong node list fails early",
  ignore: !onCluster,
  async fn() {
    const redis = await connectRedis(testRedisSettings("cluster"), "cluster-connect");
    try {
      assert.ok(isRedisCluster(redis));
      assert.equal(redis.nodes("master").length, 3);
      assert.ok(redisReady(redis));
    } finally {
      await closeRedis(redis);
    }
    const wrong = { ...testRedisSettings("cluster"), REDIS_CLUSTER_NODES: "127.0.0.1:1" };
    await assert.rejects(
      () => connectRedis(wrong, "cluster-wrong", { timeoutMs: 3_000 }),
      (err: Error) => {
        assert.match(err.message, /^Cannot connect to Redis at cluster 127\.0\.0\.1:1: /);
        assert.ok(!err.message.includes("\n"), err.message);
        return true;
      },
    );
    // A single Redis named as a cluster node is refused too (cluster support disabled).
    const plain = new URL(testRedisSettings("plain").REDIS_URL!);
    const notCluster = { ...wrong, REDIS_CLUSTER_NODES: `${plain.hostname}:${plain.port}` };
    await assert.rejects(() => connectRedis(notCluster, "not-cluster", { timeoutMs: 3_000 }));
  },
});

eachKind("scanKeys() finds every matching key on every master", async (redis) => {
  const tag = randomName("scan");
  const keys = Array.from({ length: 60 }, (_, i) => `${tag}:k${i}`);
  try {
    await Promise.all(keys.map((k) => redis.set(k, "1")));
    const nodes = new Set(await Promise.all(keys.map((k) => nodeOf(redis, k))));
    if (isRedisCluster(redis)) assert.equal(nodes.size, 3, "the keys span all three masters");
    const found: string[] = [];
    for await (const batch of scanKeys(redis, `${tag}:*`, 7)) found.push(...batch);
    assert.deepEqual([...new Set(found)].sort(), [...keys].sort());
  } finally {
    await deleteKeysContaining(redis, tag);
  }
});

eachKind(
  "commandBatch(), getKeys() and deleteKeys() work over keys of many slots",
  async (redis) => {
    const tag = randomName("batch");
    const keys = Array.from({ length: 20 }, (_, i) => `${tag}:${i}`);
    const batch = commandBatch(redis);
    keys.forEach((k, i) => batch.set(k, String(i)));
    batch.incr(keys[0]); // "0" → 1
    batch.hset(keys[1], "f", "v"); // WRONGTYPE for this command only: the others still run
    assert.equal(batch.length, 22);
    const results = (await batch.exec())!;
    assert.equal(results.length, 22);
    assert.deepEqual(results.slice(0, 21).map(([err]) => err), Array(21).fill(null));
    assert.equal(results[20][1], 1);
    assert.match(String(results[21][0]), /WRONGTYPE/);
    assert.deepEqual(await getKeys(redis, keys.slice(1, 4)), ["1", "2", "3"]);
    assert.equal(await deleteKeys(redis, [...keys, `${tag}:missing`]), 20);
    assert.deepEqual(await getKeys(redis, keys.slice(0, 2)), [null, null]);
  },
);

eachKind("stats: counts written through a StatsCollector are read back", async (redis) => {
  const plugin = randomName("Plugin");
  const collector = new StatsCollector("rest", [900, 3600]);
  const counter = new BufferedCounter(redisStatsWriter(redis, collector));
  try {
    const now = Date.now();
    for (let i = 0; i < 5; i++) counter.count(plugin);
    counter.count(`${plugin}x`, 2);
    await counter.flush();
    const keys = [900, 3600, "lifetime"].map((end) => statsKey("rest", plugin, end));
    const values = await readStatsKeys(
      redis,
      [...keys, statsKey("rest", `${plugin}x`, 900)],
      now / 1000,
    );
    assert.deepEqual(keys.map((k) => values.get(k)), [5, 5, 5]);
    assert.equal(values.get(statsKey("rest", `${plugin}x`, 900)), 2);
    const stats = await componentStats(redis, "rest", now / 1000);
    assert.deepEqual(stats.plugins?.[plugin], { "900": 5, "3600": 5, lifetime: 5 });
  } finally {
    await deleteKeysContaining(redis, plugin);
  }
});

eachKind(
  "jobs: waiters, compare-and-delete and the index work in the job's slot",
  async (redis, kind) => {
    const key = `info:${randomName("spider")}:app:crawl`;
    const waiting = jobWaitersKey(key, kind === "cluster");
    try {
      if (kind === "cluster") {
        assert.equal(waiting, `waiting:{${key}}`);
        assert.equal(await nodeOf(redis, waiting), await nodeOf(redis, key));
      } else assert.equal(waiting, `waiting:${key}`);
      const batch = commandBatch(redis);
      addJob(batch, key, "uuid-1", 0, { waiter: "uuid-1" });
      addJob(batch, key, "uuid-2", 0, { waiter: "uuid-2" });
      await batch.exec();
      assert.deepEqual((await jobWaiters(redis, key)).sort(), ["uuid-1", "uuid-2"]);
      assert.equal(await redis.zscore(JOBS_INDEX_KEY, key), "0");
      // The value changed since it was read: kept (a newer request waits).
      assert.equal(await finishHandledJob(redis, key, "uuid-1", ["uuid-1"]), false);
      assert.equal(await redis.get(key), "uuid-2");
      assert.equal(await redis.zscore(JOBS_INDEX_KEY, key), "0");
      assert.equal(await finishHandledJob(redis, key, "uuid-2", ["uuid-2"]), true);
      assert.equal(await redis.exists(key), 0);
      assert.equal(await redis.exists(waiting), 0);
      assert.equal(await redis.zscore(JOBS_INDEX_KEY, key), null);
      // A job written by another tool (no index entry) is found on whichever master holds it.
      await redis.set(key, "uuid-3");
      assert.ok(await indexUnlistedJobs(redis, [`info:${key.split(":")[1]}:*`]) >= 1);
      assert.equal(await redis.zscore(JOBS_INDEX_KEY, key), "0");
      await finishJob(redis, key);
      assert.equal(await redis.exists(key), 0);
      assert.equal(await redis.zscore(JOBS_INDEX_KEY, key), null);
    } finally {
      await redis.zrem(JOBS_INDEX_KEY, key);
      await deleteKeys(redis, [key, waiting]);
    }
  },
);

eachKind("jobs: a lock is taken once, renewed and released", async (redis) => {
  const key = `stop:${randomName("spider")}:app`;
  const lock = await tryLock(redis, key, 1_000);
  try {
    assert.ok(lock);
    assert.equal(await tryLock(redis, key, 1_000), null);
    assert.equal(await lock.confirm(), true);
    await lock.release();
    const again = await tryLock(redis, key, 1_000);
    assert.ok(again);
    await again.release();
  } finally {
    await lock?.release();
  }
});

eachKind("robots cache: an entry and its failure count live in two slots", async (redis) => {
  const host = `${randomName("robots")}.example:80`;
  const origin = { scheme: "http", hostPort: host, robotsUrl: `http://${host}/robots.txt` };
  try {
    const cache = new RobotsCache(redis);
    assert.equal(await cache.countFailure(origin, 60), 1);
    assert.equal(await cache.countFailure(origin, 60), 2);
    await cache.store(
      origin,
      { kind: "rules", status: 200, text: "User-agent: *\nDisallow: /x" },
      60,
    );
    // Stored from a response: the failure count is reset with it.
    assert.equal(await cache.countFailure(origin, 60), 1);
    const fresh = new RobotsCache(redis); // another crawler: reads it from Redis
    const known = await fresh.get(origin);
    assert.equal(known?.entry.kind, "rules");
    assert.equal(known?.policy?.allows(`http://${host}/x`, "*"), false);
  } finally {
    await deleteKeysContaining(redis, host);
  }
});

eachKind("startHeartbeat() keeps its key alive and deletes it on abort", async (redis) => {
  const key = heartbeatKey(randomName("component"), hostName(), PROCESS_ID);
  const controller = new AbortController();
  try {
    await startHeartbeat(redis, key, { ttlSec: 7, intervalMs: 50, signal: controller.signal });
    assert.ok(Math.abs(Number(await redis.get(key)) - Date.now() / 1000) < 5);
    await redis.expire(key, 1);
    await eventually(() => redis.ttl(key).then((t) => t > 1));
    controller.abort();
    await eventually(() => redis.exists(key).then((n) => n === 0));
  } finally {
    controller.abort();
    await redis.del(key);
  }
});

Deno.test({
  name: "a master restarted mid-way loses nothing; its outage is reported once, and its end",
  ignore: !onCluster,
  async fn() {
    // An own cluster: restarting the shared one would disturb other test files.
    const cluster = await startRedisCluster();
    const settings = { ...testRedisSettings("cluster"), REDIS_CLUSTER_NODES: cluster.nodes };
    const lines: string[] = [];
    const log = getLogger(["crawl-cluster", "test", randomName("restart")]);
    const redis = await connectRedis(settings, "restart-test", {
      outage: { log, component: "restart-test" },
    });
    const reporter = redisOutage(redis)!;
    reporter.onChange((down) => lines.push(down ? "down" : "up"));
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `restart:${i}`);
      await Promise.all(keys.map((k, i) => redis.set(k, String(i))));
      await cluster.restart(1);
      // Back within about a second (the node reconnects by itself), with every write.
      const values = await eventually(async () => {
        const got = await getKeys(redis, keys);
        return got.every((v, i) => v === String(i)) ? got : undefined;
      }, { what: "every key readable after the restart", timeoutMs: 20_000 });
      assert.equal(values.length, 300);
      await eventually(() => reporter.isDown === false && lines.length === 2, {
        what: "the outage's end",
      });
      assert.deepEqual(lines, ["down", "up"]);
    } finally {
      await closeRedis(redis);
      await cluster.stop();
    }
  },
});
