/**
 * A crawl fixture for integration tests: the local test site, a random spider name and topic
 * prefix, crawlers running in-process against the real Redis and Kafka, and the results read
 * back from the firehose.
 *
 * @module
 */

import { closeRedis, connectRedis, type RedisClient } from "../lib/services/redis.ts";
import { Redis } from "ioredis";
import { getLog, loadSettings } from "../lib/config/mod.ts";
import { enqueueRequests, openFrontierLayout, popLeased } from "../lib/frontier/mod.ts";
import { BatchingProducer, createKafka, ensureTopics } from "../lib/services/mod.ts";
import { crawledFirehose, encodeRequest } from "../lib/api/mod.ts";
import { registeredDomain, requestFingerprint } from "../lib/web/mod.ts";
import { type CrawlEvent, runCrawler } from "../components/crawler/crawler.ts";
import { CRAWLER_SETTINGS, type CrawlerSettings } from "../components/crawler/settings.ts";
import type { QueuedRequest, Spider } from "../components/crawler/spider.ts";
import { dumpTopic } from "../components/kafkadump/dump.ts";
import {
  deleteKeysContaining,
  eventually,
  randomName,
  redisEnv,
  type RedisKind,
  serviceEnv,
  testRedis,
} from "./harness.ts";
import { startTestSite, type TestSite, type TestSiteOptions } from "./site.ts";
import { crawlRequest } from "./requests.ts";

/** A crawl request with every scraper-schema default, as the kafka-monitor stores it. */
/** Enqueues a seed request into `redis` as the kafka-monitor does (dupefilter included). */
export async function seedInto(redis: RedisClient, req: QueuedRequest): Promise<void> {
  await enqueueRequests(redis, await openFrontierLayout(redis), {
    spiderid: req.spiderid,
    appid: req.appid,
    crawlid: req.crawlid,
    expires: req.expires,
    dupefilterTtlSec: 600,
  }, [{
    fingerprint: requestFingerprint({ url: req.url }),
    spiderid: req.spiderid,
    tags: req.tags,
    domain: registeredDomain(req.url)!,
    priority: req.priority,
    member: encodeRequest(req),
  }]);
}

export function seedRequest(over: Partial<QueuedRequest> & { url: string; spiderid: string }) {
  return crawlRequest(over);
}

/** Where a fixture's Redis is, when not the test Redis (e.g. a redis-server with ACL users). */
export interface CrawlFixtureRedis {
  /** The fixture's own client (seeding, checks, clean-up): a user that may do all of that. */
  url: string;
  /** Each crawler connects on its own with `connectRedis` to this URL (another user). */
  crawlerUrl?: string;
}

/** A running crawler inside the test process. */
export interface RunningCrawler {
  stop(): Promise<void>;
  readonly events: CrawlEvent[];
  readonly done: Promise<void>;
}

export class CrawlFixture {
  readonly redis: RedisClient;
  readonly prefix = randomName("prefix");
  readonly spiderName = randomName("spider");
  readonly results: Record<string, unknown>[] = [];
  readonly events: CrawlEvent[] = [];
  #stopResults = new AbortController();
  #resultsDone: Promise<number> | null = null;
  #crawlers: RunningCrawler[] = [];

  private constructor(
    readonly site: TestSite,
    readonly redisKind: RedisKind,
    readonly redisAt?: CrawlFixtureRedis,
  ) {
    this.redis = redisAt ? new Redis(redisAt.url) : testRedis(redisKind);
  }

  /**
   * Starts the site and the results reader; the crawl's Redis is plain or the cluster, or the
   * one `redisAt` names.
   */
  static async start(
    siteOpts: TestSiteOptions = {},
    redisKind: RedisKind = "plain",
    redisAt?: CrawlFixtureRedis,
  ): Promise<CrawlFixture> {
    const fixture = new CrawlFixture(await startTestSite(siteOpts), redisKind, redisAt);
    const kafka = createKafka(serviceEnv().KAFKA_HOSTS, "test-results");
    const topic = crawledFirehose(fixture.prefix);
    await ensureTopics(kafka, [topic]);
    const ready = Promise.withResolvers<void>();
    fixture.#resultsDone = dumpTopic(kafka, topic, {
      fromBeginning: true,
      signal: fixture.#stopResults.signal,
      write: (line) => {
        fixture.results.push(JSON.parse(line));
      },
      onReady: () => ready.resolve(),
    });
    await ready.promise;
    return fixture;
  }

  settings(overrides: Record<string, unknown> = {}): CrawlerSettings {
    const env = serviceEnv();
    return loadSettings(CRAWLER_SETTINGS, {
      env: {
        ...(this.redisAt
          ? { REDIS_URL: this.redisAt.crawlerUrl ?? this.redisAt.url, REDIS_CLUSTER_NODES: "" }
          : redisEnv(this.redisKind)),
        KAFKA_HOSTS: env.KAFKA_HOSTS,
      },
      overrides: {
        KAFKA_TOPIC_PREFIX: this.prefix,
        KAFKA_PRODUCER_BATCH_LINGER_MS: 5,
        IDLE_POLL_MS: 50,
        DOWNLOAD_TIMEOUT: 1,
        RETRY_TIMES: 1,
        THROTTLE_ENABLED: false,
        PUBLIC_IP_URL: "",
        // The local test site is on 127.0.0.1: the network guard must be off to crawl it.
        ALLOW_PRIVATE_ADDRESSES: true,
        ...overrides,
      },
    });
  }

  /** Seeds requests as the kafka-monitor does (dupefilter included). */
  async seed(...requests: QueuedRequest[]): Promise<void> {
    for (const req of requests) await seedInto(this.redis, req);
  }

  /** Starts a crawler of `spider` (renamed to this fixture's spider name). */
  async startCrawler(
    spider: Spider,
    overrides: Record<string, unknown> = {},
  ): Promise<RunningCrawler> {
    const settings = this.settings(overrides);
    const kafka = createKafka(settings.KAFKA_HOSTS, "test-crawler");
    const producer = new BatchingProducer(kafka, settings);
    await producer.connect();
    const controller = new AbortController();
    const events: CrawlEvent[] = [];
    // With `crawlerUrl` the crawler has a connection (and ACL user) of its own.
    const redis = this.redisAt?.crawlerUrl
      ? await connectRedis(settings, `crawler-${this.spiderName}`)
      : this.redis;
    const done = runCrawler({
      settings,
      redis,
      producer,
      spider: { name: this.spiderName, parse: spider.parse },
      log: getLog("crawler", "test"),
      host: "testhost",
      onDone: (e) => {
        events.push(e);
        this.events.push(e);
      },
    }, { signal: controller.signal }).finally(async () => {
      await producer.close();
      if (redis !== this.redis) await closeRedis(redis);
    });
    const crawler = {
      events,
      done,
      stop: async () => {
        controller.abort();
        await done;
      },
    };
    this.#crawlers.push(crawler);
    return crawler;
  }

  /** Waits until no request is queued or leased, and the results of `pages` pages arrived. */
  async settle(opts: { pages?: number; timeoutMs?: number } = {}): Promise<void> {
    await eventually(async () => {
      const layout = await openFrontierLayout(this.redis);
      const sizes = await Promise.all(layout.shards.flatMap((shard) => [
        this.redis.zcard(shard.index(this.spiderName)),
        this.redis.zcard(shard.leases(this.spiderName)),
      ]));
      const queued = sizes.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0);
      const leased = sizes.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);
      const pages = this.events.filter((e) => e.kind === "page").length;
      return queued === 0 && leased === 0 &&
        (opts.pages === undefined || this.results.length >= opts.pages) &&
        this.results.length >= pages;
    }, { timeoutMs: opts.timeoutMs ?? 30_000, what: "the crawl to finish" });
  }

  /** Paths the site served, sorted, with repeats. */
  requestedPaths(): string[] {
    return this.site.requests.map((r) => r.path).sort();
  }

  /** Requests still takeable (for checks that nothing was lost). */
  async pending(): Promise<number> {
    const layout = await openFrontierLayout(this.redis);
    const popped = await popLeased(this.redis, layout, this.spiderName, { max: 1000, leaseMs: 1 });
    return popped.leases.length;
  }

  async close(): Promise<void> {
    for (const c of this.#crawlers) await c.stop().catch(() => {});
    this.#stopResults.abort();
    await this.#resultsDone;
    await this.site.close();
    await deleteKeysContaining(this.redis, this.spiderName);
    await this.redis.quit();
  }
}
