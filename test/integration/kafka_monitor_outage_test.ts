/**
 * The kafka-monitor during a Redis outage, against a Redis of the test's own that it stops and
 * starts: requests fed meanwhile are all queued once Redis is back, also when the monitor is
 * restarted in the middle of the outage (no offset committed past a request Redis did not
 * store), and the outage is reported once.
 */
import assert from "node:assert/strict";
import { reset } from "@logtape/logtape";
import type { RedisClient } from "../../lib/services/mod.ts";
import { getLog, loadSettings } from "../../lib/config/mod.ts";
import {
  closeRedis,
  connectRedis,
  createKafka,
  ensureTopics,
  produceOnce,
} from "../../lib/services/mod.ts";
import { eventually, randomName, serviceEnv } from "../harness.ts";
import { runKafkaMonitor } from "../../components/kafka-monitor/monitor.ts";
import { loadPlugins } from "../../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { captureLogs, ownRedis } from "./outage_fixture.ts";

const log = getLog("kafka-monitor");

type OwnRedis = Awaited<ReturnType<typeof ownRedis>>;

function settingsFor(redis: OwnRedis, topic: string, group: string) {
  const port = redis.settings.REDIS_PORT;
  return loadSettings(KAFKA_MONITOR_SETTINGS, {
    env: { REDIS_URL: `redis://127.0.0.1:${port}/0`, KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS },
    overrides: {
      KAFKA_INCOMING_TOPIC: topic,
      KAFKA_GROUP: group,
      KAFKA_CONSUMER_AUTO_OFFSET_RESET: "earliest",
      KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 100,
      // Short: on a client that queues commands offline they time out during the outage.
      REDIS_SOCKET_TIMEOUT: 0.5,
      STATS_DUMP: 0,
    },
  });
}

/** One kafka-monitor in this process, on its own Redis connection. */
async function startMonitor(settings: ReturnType<typeof settingsFor>) {
  const redis = await connectRedis(settings, "kafka-monitor", {
    outage: { log, meanwhile: "pausing intake, will retry" },
  });
  const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
  const stop = new AbortController();
  const joined = Promise.withResolvers<void>();
  let batches = 0;
  const running = runKafkaMonitor({
    settings,
    redis,
    plugins,
    log,
    onGroupJoin: (n) => n > 0 && joined.resolve(),
    onBatch: () => batches++,
  }, { signal: stop.signal });
  running.catch((err) => joined.reject(err));
  await joined.promise;
  return {
    get batches() {
      return batches;
    },
    async stop() {
      stop.abort();
      await running;
      await closeRedis(redis);
    },
  };
}

function request(n: number, spider: string) {
  return JSON.stringify({
    url: `http://example.com/page-${n}`,
    appid: "testapp",
    crawlid: "outage",
    spiderid: spider,
  });
}

/** The urls queued in the test's Redis, whatever the queue. */
async function queuedUrls(client: RedisClient): Promise<string[]> {
  const urls: string[] = [];
  for (const key of await client.keys("*:queue")) {
    for (const member of await client.zrange(key, "0", "-1")) urls.push(JSON.parse(member).url);
  }
  return urls.sort();
}

/** Waits until the monitor met the outage (it logged a failed store, or counted a batch). */
function consumedDuringOutage(
  records: Awaited<ReturnType<typeof captureLogs>>,
  monitor: { batches: number },
  batchesBefore: number,
) {
  return eventually(
    () =>
      monitor.batches > batchesBefore ||
      records.some((r) => String(r.message[0]).startsWith("Batch not stored")),
    { what: "the monitor consumed the requests fed during the outage", timeoutMs: 30_000 },
  );
}

async function fixture() {
  const redis = await ownRedis();
  const topic = randomName("km-outage");
  const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "km-outage-test");
  await ensureTopics(kafka, [topic]);
  const settings = settingsFor(redis, topic, randomName("group"));
  const feed = (value: string) => produceOnce(kafka, topic, value, 10_000);
  return { redis, settings, feed, spider: randomName("spider") };
}

Deno.test("runKafkaMonitor(): requests fed while Redis is down are all queued once it is back", async () => {
  const records = await captureLogs();
  const { redis, settings, feed, spider } = await fixture();
  const monitor = await startMonitor(settings);
  const reader = await connectRedis(redis.settings, "reader");
  try {
    await feed(request(0, spider));
    await eventually(async () => (await queuedUrls(reader)).length === 1, { what: "the probe" });
    const batches = monitor.batches;
    await redis.stop();
    for (let n = 1; n <= 5; n++) await feed(request(n, spider));
    await consumedDuringOutage(records, monitor, batches);
    await redis.start();
    const expected = [1, 2, 3, 4, 5].map((n) => `http://example.com/page-${n}`);
    await eventually(
      async () => JSON.stringify(await queuedUrls(reader)) === JSON.stringify(expected),
      { what: "every request fed during the outage queued", timeoutMs: 30_000 },
    );
    // The monitor's connection reported the outage once, and its end once.
    const monitorLines = records.filter((r) =>
      r.category.join(".") === "crawl-cluster.kafka-monitor" && r.level !== "debug"
    ).map((r) => `${r.level} ${r.message.map(String).join("")}`);
    const unreachable = monitorLines.filter((l) => l.includes("Redis unreachable"));
    const back = monitorLines.filter((l) => l.includes("Redis back"));
    assert.equal(unreachable.length, 1, monitorLines.join("\n"));
    assert.match(unreachable[0], /^warning kafka-monitor: Redis unreachable at .*pausing intake/);
    assert.equal(back.length, 1, monitorLines.join("\n"));
  } finally {
    await monitor.stop();
    await closeRedis(reader);
    await redis.cleanup();
    await reset();
  }
});

Deno.test("runKafkaMonitor(): a monitor restarted during a Redis outage loses no request", async () => {
  const records = await captureLogs();
  const { redis, settings, feed, spider } = await fixture();
  let monitor = await startMonitor(settings);
  let reader: RedisClient | null = null;
  try {
    await feed(request(0, spider));
    reader = await connectRedis(redis.settings, "reader");
    await eventually(async () => (await queuedUrls(reader!)).length === 1, { what: "the probe" });
    await closeRedis(reader);
    const batches = monitor.batches;
    await redis.stop();
    for (let n = 1; n <= 5; n++) await feed(request(n, spider));
    await consumedDuringOutage(records, monitor, batches);
    // Stopped mid-outage: whatever it committed is what the next monitor skips.
    await monitor.stop();
    await redis.start();
    monitor = await startMonitor(settings);
    reader = await connectRedis(redis.settings, "reader");
    const expected = [1, 2, 3, 4, 5].map((n) => `http://example.com/page-${n}`);
    await eventually(
      async () => JSON.stringify(await queuedUrls(reader!)) === JSON.stringify(expected),
      { what: "every request fed during the outage queued by the next monitor", timeoutMs: 30_000 },
    );
  } finally {
    await monitor.stop();
    if (reader) await closeRedis(reader);
    await redis.cleanup();
    await reset();
  }
});
