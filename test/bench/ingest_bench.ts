/**
 * The `ingest` bench: how fast one kafka-monitor turns a backlog on its incoming topic into
 * frontier requests in Redis. The topic is pre-filled with N valid crawl requests (distinct URLs
 * over 100 registered domains, 50 crawls, a spider type of the run's own so its queues are
 * counted alone and never crawled), then one kafka-monitor process starts on a fresh group and
 * is timed from the first request Redis holds to the last (its start-up is reported apart).
 * CPU is read from `/proc` over the same span, peak RSS (VmHWM) at the end, and the RSS as the
 * drain passes each quarter of the backlog, to compare with the RSS of a kafka-monitor idle on
 * an empty topic (measured first, in a process of its own): a drain that holds its memory flat
 * stays near that, however long the backlog.
 *
 * @module
 */

import { Redis } from "ioredis";
import { createKafka, createProducer, ensureTopics } from "../../lib/services/mod.ts";
import { queueIndexKey, queueKey } from "../../lib/frontier/mod.ts";
import type { BenchContext } from "./crawler_bench.ts";
import { componentEnv, spawnComponent } from "./components.ts";
import { cpuSeconds, peakRssMb, sleep } from "./proc.ts";

/** Figures of the `ingest` run. */
export interface IngestFigures {
  requests: number;
  /** Requests in Redis when the run ended (all of them unless it stalled). */
  stored: number;
  complete: boolean;
  /** From the process's start to the first request in Redis (start-up, group join, first fetch). */
  startupSec: number;
  /** From the first request in Redis to the last. */
  drainSec: number;
  requestsPerSec: number;
  /** The kafka-monitor's CPU over the drain, per request. */
  cpuMsPerRequest: number;
  /** The kafka-monitor's CPU share over the drain (1 = one core busy). */
  cpuShare: number;
  peakRssMb: number;
  /** RSS of a kafka-monitor joined to its group on an empty topic. */
  idleRssMb: number;
  /** RSS when a quarter, half, three quarters and all of the requests were in Redis. */
  drainRssMb: number[];
  /** Redis's CPU over the drain, per request (when Redis runs on this machine). */
  redisCpuMsPerRequest?: number;
  /** Growth of Redis's `used_memory` per stored request (queue, index, backlog, dupefilter). */
  redisBytesPerRequest: number;
}

const DOMAINS = 100;
const CRAWLS = 50;
const FILL_BATCH = 2_000;

/** Requests stored so far: the sum of the run's queues (read through its spider's index). */
async function _stored(redis: Redis, spiderid: string): Promise<number> {
  const domains = await redis.zrange(queueIndexKey(spiderid), "0", "-1");
  if (domains.length === 0) return 0;
  const pipe = redis.pipeline();
  for (const d of domains) pipe.zcard(queueKey(spiderid, d));
  const replies = (await pipe.exec()) ?? [];
  return replies.reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
}

/** Resident set size now (VmRSS) in MB, or NaN when the process is gone. */
function _rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The RSS of a kafka-monitor idle on an empty topic of its own, once it has joined its group. */
async function _idleRssMb(redis: Redis, env: Record<string, string>): Promise<number> {
  const before = new Set(await redis.keys("stats:kafka-monitor:self:*"));
  const monitor = spawnComponent("kafka-monitor", {
    ...env,
    KAFKA_INCOMING_TOPIC: `${env.KAFKA_INCOMING_TOPIC}-idle`,
    KAFKA_GROUP: `${env.KAFKA_GROUP}-idle`,
  });
  try {
    const deadline = performance.now() + 60_000;
    // The heartbeat starts once it has subscribed.
    while (!(await redis.keys("stats:kafka-monitor:self:*")).some((k) => !before.has(k))) {
      if (performance.now() > deadline) {
        throw new Error(`Cannot start the idle kafka-monitor\n${monitor.tail()}`);
      }
      await sleep(50);
    }
    await sleep(2_000); // the group join and a few empty fetches
    return _rssMb(monitor.pid);
  } finally {
    await monitor.stop(5_000);
  }
}

async function _usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

/** Deletes every key of the run's spider type (queues, index, backlog, dupefilters, timeouts). */
async function _cleanUp(redis: Redis, spiderid: string): Promise<void> {
  for (const match of [`${spiderid}:*`, `timeout:${spiderid}:*`]) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  }
}

/** Pre-fills the topic with `requests` crawl requests, then times one kafka-monitor draining it. */
export async function ingestBench(
  ctx: BenchContext,
  opts: { requests?: number } = {},
): Promise<IngestFigures> {
  const requests = opts.requests ?? 50_000;
  const tag = crypto.randomUUID().slice(0, 8);
  const prefix = `bench-${tag}`;
  const spiderid = `ingest${tag}`;
  const env = componentEnv(ctx, prefix, ctx.concurrency);
  const kafka = createKafka(ctx.env.KAFKA_HOSTS, "bench-ingest");
  await ensureTopics(kafka, [env.KAFKA_INCOMING_TOPIC]);
  const redis = new Redis(ctx.env.REDIS_URL);
  const producer = createProducer(kafka);
  try {
    ctx.say(`ingest: filling ${env.KAFKA_INCOMING_TOPIC} with ${requests} crawl requests`);
    await producer.connect();
    for (let start = 0; start < requests; start += FILL_BATCH) {
      const messages = [];
      for (let i = start; i < Math.min(start + FILL_BATCH, requests); i++) {
        messages.push({
          value: JSON.stringify({
            url: `http://site${i % DOMAINS}.com/p/${i}`,
            appid: "bench",
            crawlid: `ingest-${i % CRAWLS}`,
            spiderid,
          }),
        });
      }
      await producer.send({ topic: env.KAFKA_INCOMING_TOPIC, acks: -1, messages });
    }
    await producer.disconnect();
    ctx.say("ingest: measuring an idle kafka-monitor's RSS");
    const idleRssMb = await _idleRssMb(redis, env);
    const memory0 = await _usedMemory(redis);
    const redisPid = ctx.services.find((s) => s.name === "Redis")?.pid;
    ctx.say("ingest: starting one kafka-monitor on the backlog");
    const spawnedAt = performance.now();
    // BENCH_INGEST_CPU_PROF=<dir>: the kafka-monitor runs under V8's --cpu-prof (summarise the
    // written kafka-monitor.cpuprofile with profile.ts).
    const profileDir = Deno.env.get("BENCH_INGEST_CPU_PROF");
    const monitor = spawnComponent(
      "kafka-monitor",
      env,
      profileDir
        ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-name=kafka-monitor.cpuprofile"]
        : [],
    );
    try {
      let firstAt = 0, cpu0 = 0, redis0 = NaN, storedAtFirst = 0, stored = 0;
      let lastChange = performance.now();
      const drainRssMb: number[] = [];
      for (;;) {
        const n = await _stored(redis, spiderid);
        const now = performance.now();
        if (n > 0 && firstAt === 0) {
          [firstAt, storedAtFirst] = [now, n];
          cpu0 = cpuSeconds(monitor.pid);
          if (redisPid) redis0 = cpuSeconds(redisPid);
        }
        if (n !== stored) [stored, lastChange] = [n, now];
        while (drainRssMb.length < 4 && stored >= requests * (drainRssMb.length + 1) / 4) {
          drainRssMb.push(_rssMb(monitor.pid));
        }
        if (stored >= requests) break;
        if (now - lastChange > ctx.stallMs) {
          ctx.say(`ingest: stalled at ${stored}/${requests}; its last lines:\n${monitor.tail()}`);
          break;
        }
        await sleep(firstAt === 0 ? 50 : 20);
      }
      const doneAt = performance.now();
      const cpu = cpuSeconds(monitor.pid) - cpu0;
      const redisCpu = redisPid ? cpuSeconds(redisPid) - redis0 : NaN;
      const rss = peakRssMb(monitor.pid);
      const memory1 = await _usedMemory(redis);
      const drained = Math.max(stored - storedAtFirst, 1);
      const drainSec = (doneAt - firstAt) / 1000;
      return {
        requests,
        stored,
        complete: stored >= requests,
        startupSec: (firstAt - spawnedAt) / 1000,
        drainSec,
        requestsPerSec: drained / drainSec,
        cpuMsPerRequest: 1000 * cpu / drained,
        cpuShare: cpu / drainSec,
        peakRssMb: rss,
        idleRssMb,
        drainRssMb,
        ...(Number.isFinite(redisCpu) ? { redisCpuMsPerRequest: 1000 * redisCpu / drained } : {}),
        redisBytesPerRequest: (memory1 - memory0) / Math.max(stored, 1),
      };
    } finally {
      await monitor.stop(5_000);
    }
  } finally {
    await producer.disconnect().catch(() => {});
    await _cleanUp(redis, spiderid).catch(() => {});
    await redis.quit().catch(() => {});
  }
}

/** The report lines. */
export function formatIngest(f: IngestFigures): string {
  return [
    `ingest: one kafka-monitor drained ${f.stored}/${f.requests} requests${
      f.complete ? "" : " (INCOMPLETE)"
    } in ${f.drainSec.toFixed(2)} s after a ${f.startupSec.toFixed(2)} s start: ` +
    `${f.requestsPerSec.toFixed(0)} requests/s (target ≥ 20,000), ` +
    `${f.cpuMsPerRequest.toFixed(3)} ms CPU per request (${
      (100 * f.cpuShare).toFixed(0)
    } % of a core), ` +
    `peak RSS ${f.peakRssMb.toFixed(0)} MB`,
    `ingest: RSS ${
      f.idleRssMb.toFixed(0)
    } MB idle on an empty topic; while draining, at 25/50/75/100 % ${
      f.drainRssMb.map((mb) => mb.toFixed(0)).join("/")
    } MB`,
    `ingest: Redis ${
      f.redisCpuMsPerRequest === undefined ? "-" : f.redisCpuMsPerRequest.toFixed(3)
    } ms CPU and ${f.redisBytesPerRequest.toFixed(0)} bytes of used_memory per stored request`,
  ].join("\n");
}
