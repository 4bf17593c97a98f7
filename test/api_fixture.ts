/**
 * A fixture for Action/Stats/Zookeeper API tests: a kafka-monitor and redis-monitors running
 * in-process against the real services, on random topics and a Redis database of their own
 * (or, with `redisKind: "cluster"`, the whole test Redis Cluster, which has one database), with
 * the outbound answers read back from Kafka.
 *
 * @module
 */

import { Redis } from "ioredis";
import { getLog, loadSettings } from "../lib/config/mod.ts";
import {
  BatchingProducer,
  createKafka,
  ensureTopics,
  isRedisCluster,
  produceOnce,
  type RedisClient,
} from "../lib/services/mod.ts";
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
import { REST_SETTINGS, type RestSettings } from "../components/rest/settings.ts";
import {
  eventually,
  isolatedRedisUrl,
  randomName,
  redisEnv,
  type RedisKind,
  serviceEnv,
  testRedis,
} from "./harness.ts";

/** The Redis database the API tests own (flushed at each fixture start). */
export const API_TEST_DB = 7;

/** Options of {@linkcode ApiFixture.start}. */
export interface ApiFixtureOptions {
  /** How many redis-monitors to start. @default {1} */
  redisMonitors?: number;
  /** Setting overrides of those redis-monitors. */
  redisMonitor?: Record<string, unknown>;
  /** Plain Redis (database {@linkcode API_TEST_DB}) or the test Redis Cluster. */
  redisKind?: RedisKind;
}

/** `redis` is an ioredis `Redis` on plain Redis (the default), a `RedisClient` in general. */
export class ApiFixture<R extends RedisClient = Redis> {
  readonly redisUrl = isolatedRedisUrl(API_TEST_DB);
  readonly redis: R;
  readonly prefix = randomName("api");
  readonly answers: Record<string, unknown>[] = [];
  readonly jobEvents: JobEvent[] = [];
  readonly kafka = createKafka(serviceEnv().KAFKA_HOSTS, "api-test");
  #stop = new AbortController();
  #running: Promise<unknown>[] = [];
  #producers: BatchingProducer[] = [];

  private constructor(readonly redisKind: RedisKind) {
    this.redis = this.#client() as R;
  }

  static start(opts?: ApiFixtureOptions & { redisKind?: "plain" }): Promise<ApiFixture<Redis>>;
  static start(opts: ApiFixtureOptions): Promise<ApiFixture<RedisClient>>;
  static async start(opts: ApiFixtureOptions = {}): Promise<ApiFixture<RedisClient>> {
    const f = new ApiFixture<RedisClient>(opts.redisKind ?? "plain");
    await f.#flush();
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
    const redis = this.redisKind === "plain"
      ? { REDIS_URL: this.redisUrl }
      : redisEnv(this.redisKind);
    return { ...redis, KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS };
  }

  /** A new client on the fixture's Redis (its database, or the cluster). */
  #client(): RedisClient {
    return this.redisKind === "plain" ? new Redis(this.redisUrl) : testRedis(this.redisKind);
  }

  /** Empties the fixture's Redis: FLUSHDB on every master of a cluster. */
  async #flush(): Promise<void> {
    const redis: RedisClient = this.redis;
    if (isRedisCluster(redis)) {
      await Promise.all(redis.nodes("master").map((node) => node.flushdb()));
    } else {
      await redis.flushdb();
    }
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
    const redis = this.#client();
    const log = getLog("kafka-monitor", "test");
    const plugins = await loadKafkaPlugins(settings.PLUGINS, { settings, redis, log });
    this.#running.push(
      runKafkaMonitor({ settings, redis, plugins, log }, { signal: this.#stop.signal })
        .finally(() => redis.quit()),
    );
  }

  /**
   * REST's settings on the fixture's services and topics (answers polled every second, waited
   * for 10 s), with `env` added to the fixture's environment and `overrides` on top.
   */
  restSettings(
    env: Record<string, string> = {},
    overrides: Record<string, unknown> = {},
  ): RestSettings {
    return loadSettings(REST_SETTINGS, {
      env: { ...this.env(), ...env },
      overrides: {
        KAFKA_TOPIC_PREFIX: this.prefix,
        KAFKA_INCOMING_TOPIC: `${this.prefix}.incoming`,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        WAIT_FOR_RESPONSE_TIME: 10,
        SLEEP_TIME: 1,
        ...overrides,
      },
    });
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
    const redis = this.#client();
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
    await this.#flush();
    await this.redis.quit();
  }
}
