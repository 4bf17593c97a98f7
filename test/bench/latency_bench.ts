/**
 * The `latency` bench: feed → first result item on an idle cluster. A kafka-monitor and one
 * crawler run as real processes (the same programs and permissions as `deno task run:*`, the
 * crawler's `IDLE_POLL_MS` as shipped); each of N crawls is one page of a local site under a fresh
 * crawlid with `maxdepth` 0, fed through Kafka by a connected producer and timed until its item
 * reaches a consumer of the firehose. Between crawls the bench waits a random 100–600 ms, so a feed
 * lands at any point of the crawler's idle cycle and the cluster is idle when it does.
 *
 * The breakdown comes from Redis keyspace notifications on the site's queue key (turned on for
 * the run, restored after): its `zadd` is the kafka-monitor's write (feed → Redis), its `zpopmin`
 * the crawler's pop (Redis → pop); the rest is fetch, extract and produce (pop → item). All times
 * are read by this process's clock as the events reach it.
 *
 * @module
 */

import { Redis } from "ioredis";
import {
  createConsumer,
  createKafka,
  createProducer,
  ensureTopics,
} from "../../lib/services/mod.ts";
import { dupefilterKey, queueIndexKey, queueKey } from "../../lib/frontier/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { type BenchContext, startSiteProcess } from "./crawler_bench.ts";
import { awaitHeartbeat, componentEnv, crawlerHeartbeats, spawnComponent } from "./components.ts";
import { type Child, sleep } from "./proc.ts";

/** Percentiles of one measured span, in ms. */
export interface Spread {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Figures of the `latency` run. */
export interface LatencyFigures {
  crawls: number;
  /** Crawls whose item never came within the timeout (left out of the figures). */
  lost: number;
  /** The crawler's IDLE_POLL_MS as the run used it ("default" unless `--set`). */
  idlePollMs: string;
  /** Feed (just before the producer's send) → the item on the firehose. */
  total: Spread;
  /** Feed → the request in Redis; Redis → popped; popped → the item (when notifications worked). */
  breakdown?: { feedToRedis: Spread; redisToPop: Spread; popToItem: Spread };
}

/** Nearest-rank percentiles of `values` (ms). */
export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(sorted.length, 1);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean };
}

/** Turns keyspace notifications for sorted sets on; resolves with the value to restore, or null. */
async function _enableNotifications(redis: Redis): Promise<string | null> {
  try {
    const [, old] = await redis.config("GET", "notify-keyspace-events") as string[];
    const flags = new Set([...old, "K", "z"]);
    await redis.config("SET", "notify-keyspace-events", [...flags].join(""));
    return old;
  } catch {
    return null; // CONFIG refused (a managed Redis, an ACL user): no breakdown
  }
}

/** Runs `crawls` timed crawls (after `warmup` untimed ones). */
export async function latencyBench(
  ctx: BenchContext,
  opts: { crawls?: number; warmup?: number; timeoutMs?: number } = {},
): Promise<LatencyFigures> {
  const crawls = opts.crawls ?? 200;
  const warmup = opts.warmup ?? 5;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const prefix = `bench-${crypto.randomUUID().slice(0, 8)}`;
  const env = componentEnv(ctx, prefix, ctx.concurrency);
  const kafka = createKafka(ctx.env.KAFKA_HOSTS, "bench-latency");
  const firehose = crawledFirehose(prefix);
  await ensureTopics(kafka, [firehose, env.KAFKA_INCOMING_TOPIC]);
  const redis = new Redis(ctx.env.REDIS_URL);
  const sub = new Redis(ctx.env.REDIS_URL);
  const { site, origin } = await startSiteProcess({ ...ctx, pages: 1, linksPerPage: 0 });
  const domain = new URL(origin).hostname;
  const children: Child[] = [site];
  const producer = createProducer(kafka);
  const consumer = createConsumer(kafka, { groupId: `${prefix}-latency`, maxWaitTimeInMs: 500 });
  const oldNotify = await _enableNotifications(redis);
  // The crawl in flight: its id, and when each of its events reached us.
  let current = { crawlid: "", redisAt: 0, popAt: 0, done: Promise.withResolvers<number>() };
  const crawlids: string[] = [];
  try {
    if (oldNotify !== null) {
      await sub.psubscribe(`__keyspace@*__:${queueKey("link", domain)}`);
      sub.on("pmessage", (_pattern: string, _channel: string, event: string) => {
        const now = performance.now();
        if (event === "zadd" && current.redisAt === 0) current.redisAt = now;
        if (event === "zpopmin" && current.popAt === 0) current.popAt = now;
      });
    }
    const joined = Promise.withResolvers<void>();
    consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
    await consumer.connect();
    await consumer.subscribe({ topic: firehose, fromBeginning: false });
    await consumer.run({
      eachMessage: ({ message }) => {
        const now = performance.now();
        const item = JSON.parse(message.value?.toString() ?? "{}");
        if (item.crawlid === current.crawlid) current.done.resolve(now);
        return Promise.resolve();
      },
    });
    await joined.promise;
    await producer.connect();
    const monitor = spawnComponent("kafka-monitor", env);
    children.push(monitor);
    const before = await crawlerHeartbeats(redis);
    const crawler = spawnComponent("crawler", env);
    children.push(crawler);
    await awaitHeartbeat(redis, before, crawler);
    ctx.say(`latency: ${warmup} + ${crawls} crawls of one page, one at a time`);
    const totals: number[] = [];
    const parts = {
      feedToRedis: [] as number[],
      redisToPop: [] as number[],
      popToItem: [] as number[],
    };
    let lost = 0;
    for (let i = 0; i < warmup + crawls; i++) {
      await sleep(100 + Math.random() * 500);
      const crawlid = `lat-${i}-${crypto.randomUUID().slice(0, 8)}`;
      crawlids.push(crawlid);
      current = { crawlid, redisAt: 0, popAt: 0, done: Promise.withResolvers<number>() };
      const value = JSON.stringify({ url: `${origin}/p/0`, appid: "bench", crawlid, maxdepth: 0 });
      const fedAt = performance.now();
      await producer.send({ topic: env.KAFKA_INCOMING_TOPIC, acks: -1, messages: [{ value }] });
      const itemAt = await Promise.race([current.done.promise, sleep(timeoutMs).then(() => 0)]);
      if (i < warmup) continue;
      if (itemAt === 0) {
        lost++;
        continue;
      }
      totals.push(itemAt - fedAt);
      const { redisAt, popAt } = current;
      if (redisAt > 0 && popAt >= redisAt && itemAt >= popAt) {
        parts.feedToRedis.push(redisAt - fedAt);
        parts.redisToPop.push(popAt - redisAt);
        parts.popToItem.push(itemAt - popAt);
      }
      if ((i - warmup + 1) % 50 === 0) ctx.say(`latency: ${i - warmup + 1}/${crawls} crawls`);
    }
    if (lost > 0) ctx.say(`latency: ${lost} crawl(s) gave no item within ${timeoutMs} ms`);
    return {
      crawls: totals.length,
      lost,
      idlePollMs: env.IDLE_POLL_MS ?? "default",
      total: spread(totals),
      ...(parts.feedToRedis.length === totals.length && totals.length > 0
        ? {
          breakdown: {
            feedToRedis: spread(parts.feedToRedis),
            redisToPop: spread(parts.redisToPop),
            popToItem: spread(parts.popToItem),
          },
        }
        : {}),
    };
  } finally {
    await Promise.allSettled(children.reverse().map((c) => c.stop(5_000)));
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), sub.quit()]);
    if (oldNotify !== null) await redis.config("SET", "notify-keyspace-events", oldNotify);
    await redis.del(queueKey("link", domain), ...crawlids.map((c) => dupefilterKey("link", c)))
      .catch(() => {});
    await redis.zrem(queueIndexKey("link"), domain).catch(() => {});
    await redis.quit().catch(() => {});
  }
}

/** The report lines. */
export function formatLatency(f: LatencyFigures): string {
  const head = ["span (ms)", "p50", "p90", "p99", "max", "mean"];
  const rows: [string, Spread][] = [["feed → item", f.total]];
  if (f.breakdown) {
    rows.push(
      ["  feed → Redis", f.breakdown.feedToRedis],
      ["  Redis → pop", f.breakdown.redisToPop],
      ["  pop → item", f.breakdown.popToItem],
    );
  }
  const cells = rows.map((
    [name, s],
  ) => [name, ...[s.p50, s.p90, s.p99, s.max, s.mean].map((v) => v.toFixed(1))]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((v, i) => i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i])).join("  ");
  return [
    `latency, feed → first result on an idle cluster (${f.crawls} crawls, IDLE_POLL_MS ${f.idlePollMs}` +
    `${f.lost ? `, ${f.lost} lost` : ""}; targets p50 < 50 ms, p99 < 250 ms):`,
    line(head),
    ...cells.map(line),
  ].join("\n");
}
