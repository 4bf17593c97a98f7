/**
 * A fixture for Action/Stats/Zookeeper API tests: a kafka-monitor and redis-monitors running
 * in-process against the real services, on random topics and a Redis database of their own,
 * with the outbound answers read back from Kafka.
 *
 * @module
 */

import { Redis } from "ioredis";
import { getLog, loadSettings } from "../lib/config/mod.ts";
import { BatchingProducer, createKafka, ensureTopics, produceOnce } from "../lib/services/mod.ts";
import { outboundFirehose } from "../lib/api/mod.ts";
import { runKafkaMonitor } from "../components/kafka-monitor/monitor.ts";
import { loadPlugins as loadKafkaPlugins } from "../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../components/kafka-monitor/settings.ts";
import { type JobEvent, runRedisMonitor } from "../components/redis-monitor/monitor.ts";
import { loadPlugins as loadRedisPlugins } from "../components/redis-monitor/plugin.ts";
import {
  REDIS_MONITOR_SETTINGS,
  type RedisMonitorSettings,
} from "../components/redis-monitor/settings.ts";
import { dumpTopic } from "../components/kafkadump/dump.ts";
import { eventually, isolatedRedisUrl, randomName, serviceEnv } from "./harness.ts";

/** The Redis database the API tests own (flushed at each fixture start). */
export const API_TEST_DB = 7;

export class ApiFixture {
  readonly redisUrl = isolatedRedisUrl(API_TEST_DB);
  readonly redis = new Redis(this.redisUrl);
  readonly prefix = randomName("api");
  readonly answers: Record<string, unknown>[] = [];
  readonly jobEvents: JobEvent[] = [];
  readonly kafka = createKafka(serviceEnv().KAFKA_HOSTS, "api-test");
  #stop = new AbortController();
  #running: Promise<unknown>[] = [];
  #producers: BatchingProducer[] = [];

  static async start(
    opts: { redisMonitors?: number; redisMonitor?: Record<string, unknown> } = {},
  ) {
    const f = new ApiFixture();
    await f.redis.flushdb();
    await ensureTopics(f.kafka, [`${f.prefix}.incoming`, outboundFirehose(f.prefix)]);
    const ready = Promise.withResolvers<void>();
    f.#running.push(dumpTopic(f.kafka, outboundFirehose(f.prefix), {
      fromBeginning: true,
      signal: f.#stop.signal,
      write: (line) => {
        f.answers.push(JSON.parse(line));
      },
      onReady: () => ready.resolve(),
    }));
    await ready.promise;
    await f.startKafkaMonitor();
    for (let i = 0; i < (opts.redisMonitors ?? 1); i++) {
      await f.startRedisMonitor(opts.redisMonitor);
    }
    return f;
  }

  env(): Record<string, string> {
    return { REDIS_URL: this.redisUrl, KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS };
  }

  async startKafkaMonitor(): Promise<void> {
    const settings = loadSettings(KAFKA_MONITOR_SETTINGS, {
      env: this.env(),
      overrides: {
        KAFKA_INCOMING_TOPIC: `${this.prefix}.incoming`,
        KAFKA_GROUP: randomName("group"),
        KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 100,
        // Crawl requests for the local test site (127.0.0.1) are accepted.
        ALLOW_PRIVATE_ADDRESSES: true,
      },
    });
    const redis = new Redis(this.redisUrl);
    const log = getLog("kafka-monitor", "test");
    const plugins = await loadKafkaPlugins(settings.PLUGINS, { settings, redis, log });
    this.#running.push(
      runKafkaMonitor({ settings, redis, plugins, log }, { signal: this.#stop.signal })
        .finally(() => redis.quit()),
    );
  }

  redisMonitorSettings(overrides: Record<string, unknown> = {}): RedisMonitorSettings {
    return loadSettings(REDIS_MONITOR_SETTINGS, {
      env: { ...this.env(), ZOOKEEPER_HOSTS: serviceEnv().ZOOKEEPER_HOSTS },
      overrides: {
        KAFKA_TOPIC_PREFIX: this.prefix,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        SLEEP_TIME: 0.02,
        ...overrides,
      },
    });
  }

  async startRedisMonitor(overrides: Record<string, unknown> = {}): Promise<void> {
    const settings = this.redisMonitorSettings(overrides);
    const redis = new Redis(this.redisUrl);
    const log = getLog("redis-monitor", "test");
    const producer = new BatchingProducer(this.kafka, settings);
    await producer.connect();
    this.#producers.push(producer);
    const plugins = await loadRedisPlugins(settings.PLUGINS, { settings, redis, log });
    this.#running.push(
      runRedisMonitor({
        settings,
        redis,
        plugins,
        producer,
        log,
        onJob: (e) => this.jobEvents.push(e),
      }, { signal: this.#stop.signal }).finally(() => redis.quit()),
    );
  }

  /** Feeds a request through Kafka, as `deno task feed` does. */
  async feed(request: unknown): Promise<void> {
    await produceOnce(this.kafka, `${this.prefix}.incoming`, JSON.stringify(request), 10_000);
  }

  /** The first answer matching `match`, waiting for it. */
  answer(match: (a: Record<string, unknown>) => boolean, what = "an answer") {
    return eventually(() => this.answers.find(match), { what, timeoutMs: 20_000 });
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#running);
    for (const p of this.#producers) await p.close().catch(() => {});
    await this.redis.flushdb();
    await this.redis.quit();
  }
}
