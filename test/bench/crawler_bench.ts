/**
 * The crawler benchmark: the real programs as subprocesses — a kafka-monitor and one crawler,
 * with the permissions of their deno tasks — against the synthetic site (its own process), one
 * crawl request fed through Kafka, results counted on the firehose. Also the baseline run
 * (`bare_crawl.ts`) against a fresh site process.
 *
 * @module
 */

import { Redis } from "ioredis";
import { createKafka, ensureTopics, type Kafka, produceOnce } from "../../lib/services/mod.ts";
import { dupefilterKey, leasesKey, queueIndexKey, queueKey } from "../../lib/frontier/mod.ts";
import { crawledFirehose } from "../../lib/api/mod.ts";
import { awaitPages, FirehoseCounter } from "./firehose_counter.ts";
import type { BareResult } from "./bare_crawl.ts";
import { perfAvailable, type PerfSummary, startPerf, summarisePerf } from "./perf.ts";
import {
  allProcessCpu,
  type Child,
  cpuSeconds,
  peakRssMb,
  schedSeconds,
  sleep,
  spawnChild,
  type SystemCpu,
  systemCpu,
  systemCpuDelta,
  threadCpu,
  threadCpuDelta,
  topProcesses,
} from "./proc.ts";
import {
  awaitHeartbeat,
  benchPath,
  componentEnv,
  crawlerHeartbeats,
  spawnComponent,
} from "./components.ts";

/** What every benchmark needs. */
export interface BenchContext {
  /** REDIS_URL, KAFKA_HOSTS, ZOOKEEPER_HOSTS. */
  env: { REDIS_URL: string; KAFKA_HOSTS: string; ZOOKEEPER_HOSTS: string };
  /** Pages to crawl (the site has exactly this many). */
  pages: number;
  concurrency: number;
  linksPerPage: number;
  pageBytes: number;
  /** KAFKA_PRODUCER_BUFFER_BYTES of the crawler. */
  producerBufferBytes: number;
  /** More settings for the crawler and kafka-monitor. */
  extraEnv: Record<string, string>;
  /** Give up a run after this long without a new page. */
  stallMs: number;
  /** The site answers every request this many ms late (the `slow` bench); 0 when unset. */
  siteDelayMs?: number;
  /** Pids of service processes whose CPU is reported (Redis, Kafka). */
  services: { name: string; pid: number }[];
  /** Progress lines. */
  say: (line: string) => void;
}

/** Figures of one run (crawler or baseline). */
export interface RunFigures {
  pages: number;
  seconds: number;
  pagesPerSec: number;
  cpuSec: number;
  cpuMsPerPage: number;
  peakRssMb: number;
  /** CPU of the site process during the run. */
  siteCpuSec: number;
  /** Complete: all pages arrived. */
  complete: boolean;
  /** The whole machine's CPU during the run (every process, all CPUs). */
  machine: SystemCpu;
  /** The processes that used most CPU during the run: `name[pid]`, seconds. */
  topProcesses: [string, number][];
}

/** The crawler run's extra figures. */
export interface CrawlerFigures extends RunFigures {
  /** CPU of this (counting) process during the run. */
  counterCpuSec: number;
  /** Redis commands per page (from all clients; commands run inside Lua scripts included). */
  redisCallsPerPage: [string, number][];
  /** CPU of Redis and Kafka during the run. */
  serviceCpuSec: Record<string, number>;
  /** Time the crawler's main thread was runnable but waited for a CPU (contention). */
  mainThreadWaitingSec: number;
  /** Time the crawler's main thread (the event loop) was on a CPU. */
  mainThreadCpuSec: number;
  /** Wall time of the CPU figures: from just before the feed to the last page. */
  windowSec: number;
  /** The crawler's CPU by thread name. */
  threads: [string, number][];
  /** The `.cpuprofile` written (profiled runs). */
  profilePath?: string;
  /** The on-CPU profile (profiled runs, when `perf` is installed). */
  perf?: PerfSummary;
}

/** A random loopback address: its own frontier queue (the domain) in a shared Redis. */
function _loopbackHost(): string {
  const b = () => 1 + Math.floor(Math.random() * 254);
  return `127.${b()}.${b()}.${b()}`;
}

/** Starts the synthetic site in its own process; resolves with it and its origin. */
export async function startSiteProcess(
  ctx: BenchContext,
): Promise<{ site: Child; origin: string }> {
  const site = spawnChild("site", [
    "run",
    "--allow-net",
    benchPath("site_server.ts"),
    "--pages",
    String(ctx.pages),
    "--links",
    String(ctx.linksPerPage),
    "--bytes",
    String(ctx.pageBytes),
    "--hostname",
    _loopbackHost(),
    "--delay-ms",
    String(ctx.siteDelayMs ?? 0),
  ]);
  const [, origin] = await site.waitForLine(/^LISTENING (\S+)/, 60_000);
  return { site, origin };
}

/** Calls per Redis command so far (`INFO commandstats`; commands inside scripts included). */
async function _redisCalls(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const info = await redis.info("commandstats").catch(() => "");
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/** Readable names of the processes we know, by pid. */
function _names(ctx: BenchContext, children: Child[]): Map<number, string> {
  const names = new Map<number, string>([[Deno.pid, "bench"]]);
  for (const s of ctx.services) names.set(s.pid, s.name);
  for (const c of children) names.set(c.pid, c.name);
  return names;
}

/** Options of {@linkcode crawlerBench}. */
export interface CrawlerBenchOptions {
  /** Profile the crawler, writing the profile to this folder. */
  profileDir?: string;
  /**
   * How: `perf` samples on-CPU time with Linux perf (falls back to `v8` when perf is
   * missing); `v8` runs the crawler with `--cpu-prof` (wall-clock samples of the JS thread).
   * The two are never combined: V8's sampling signals would show up in perf's samples.
   * @default {"perf"}
   */
  profiler?: "perf" | "v8";
}

/** A bench crawl ready to be fed: its own topics, group and crawlid, site, counter, kafka-monitor. */
export interface BenchCrawl {
  crawlid: string;
  /** The components' environment (see `componentEnv`). */
  env: Record<string, string>;
  kafka: Kafka;
  redis: Redis;
  /** Counting the crawl's results on its firehose (started). */
  counter: FirehoseCounter;
  site: Child;
  origin: string;
  /** The site's and the kafka-monitor's processes; add the crawlers started. */
  children: Child[];
  /** Stops every child and the counter, deletes the crawl's queue and dupefilter. */
  close(): Promise<void>;
}

/**
 * Sets up one bench crawl on the shared services: a fresh topic prefix and crawlid, the
 * synthetic site in its own process, the firehose counter and a kafka-monitor (shared by the
 * crawler, `slow` and `scale` benches).
 */
export async function startBenchCrawl(ctx: BenchContext, clientId: string): Promise<BenchCrawl> {
  const prefix = `bench-${crypto.randomUUID().slice(0, 8)}`;
  const crawlid = `crawl-${crypto.randomUUID().slice(0, 8)}`;
  const env = componentEnv(ctx, prefix, ctx.concurrency);
  const kafka = createKafka(ctx.env.KAFKA_HOSTS, clientId);
  const firehose = crawledFirehose(prefix);
  await ensureTopics(kafka, [firehose, env.KAFKA_INCOMING_TOPIC]);
  const redis = new Redis(ctx.env.REDIS_URL);
  const counter = new FirehoseCounter(kafka, firehose, ctx.pages);
  const { site, origin } = await startSiteProcess(ctx);
  const domain = new URL(origin).hostname;
  const children: Child[] = [site];
  const close = async () => {
    await Promise.allSettled([...children].reverse().map((c) => c.stop(5_000)));
    await counter.stop();
    await redis.del(queueKey("link", domain), dupefilterKey("link", crawlid)).catch(() => {});
    await redis.zrem(queueIndexKey("link"), domain).catch(() => {});
    await redis.quit().catch(() => {});
  };
  try {
    await counter.start();
    children.push(spawnComponent("kafka-monitor", env));
  } catch (err) {
    await close();
    throw err;
  }
  return { crawlid, env, kafka, redis, counter, site, origin, children, close };
}

/** Runs the crawler benchmark once. */
export async function crawlerBench(
  ctx: BenchContext,
  opts: CrawlerBenchOptions = {},
): Promise<CrawlerFigures> {
  const crawl = await startBenchCrawl(ctx, "bench");
  const { crawlid, env, kafka, redis, counter, site, origin, children } = crawl;
  try {
    const before = await crawlerHeartbeats(redis);
    const usePerf = opts.profileDir !== undefined && opts.profiler !== "v8" &&
      await perfAvailable();
    const useV8 = opts.profileDir !== undefined && !usePerf;
    const profile = usePerf
      ? ["--v8-flags=--perf-basic-prof"]
      : useV8
      ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`, "--cpu-prof-name=crawler.cpuprofile"]
      : [];
    const crawler = spawnComponent("crawler", env, profile);
    children.push(crawler);
    await awaitHeartbeat(redis, before, crawler);
    const names = _names(ctx, children);
    await sleep(300); // let start-up work (JIT of the loop, first idle polls) settle

    const window0 = performance.now();
    const cpu0 = cpuSeconds(crawler.pid);
    const threads0 = threadCpu(crawler.pid);
    const sched0 = schedSeconds(crawler.pid);
    const machine0 = systemCpu();
    const procs0 = allProcessCpu();
    const redis0 = await _redisCalls(redis);
    const site0 = cpuSeconds(site.pid);
    const self0 = cpuSeconds("self");
    const services0 = ctx.services.map((s) => cpuSeconds(s.pid));
    const seed = JSON.stringify({
      url: `${origin}/p/0`,
      appid: "bench",
      crawlid,
      maxdepth: 50,
    });
    const perfFile = `${opts.profileDir}/crawler.perf`;
    const perf = usePerf ? startPerf(crawler.pid, perfFile) : undefined;
    if (perf) await sleep(500); // perf attaches
    await produceOnce(kafka, env.KAFKA_INCOMING_TOPIC, seed, 10_000);
    const what = opts.profileDir ? "profiled crawler" : "crawler";
    const complete = await awaitPages(counter, ctx, what);
    if (!complete) {
      const domain = new URL(origin).hostname;
      const [queued, leased] = await Promise.all([
        redis.zcard(queueKey("link", domain)),
        redis.zcard(leasesKey("link")),
      ]);
      ctx.say(`${what}: ${queued} request(s) queued, ${leased} leased; its last lines:`);
      ctx.say(crawler.tail() || "(none)");
    }
    const cpu = cpuSeconds(crawler.pid) - cpu0;
    const threads = threadCpuDelta(threads0, threadCpu(crawler.pid));
    const sched1 = schedSeconds(crawler.pid);
    const windowSec = (performance.now() - window0) / 1000;
    const machine = systemCpuDelta(machine0, systemCpu());
    const top = topProcesses(procs0, allProcessCpu(), names);
    const rss = peakRssMb(crawler.pid);
    const redis1 = await _redisCalls(redis);
    const pagesDone = Math.max(1, Math.min(counter.urls.size, ctx.pages));
    const redisCallsPerPage = [...redis1]
      .map(([cmd, n]) => [cmd, (n - (redis0.get(cmd) ?? 0)) / pagesDone] as [string, number])
      .filter(([, n]) => n >= 0.01).sort((a, b) => b[1] - a[1]);
    const siteCpu = cpuSeconds(site.pid) - site0;
    const selfCpu = cpuSeconds("self") - self0;
    const serviceCpuSec: Record<string, number> = {};
    ctx.services.forEach((s, i) => serviceCpuSec[s.name] = cpuSeconds(s.pid) - services0[i]);
    const end = counter.doneAt || counter.lastAt;
    const seconds = (end - counter.firstAt) / 1000;
    const pages = Math.min(counter.urls.size, ctx.pages);
    await perf?.stop(10_000, "SIGINT");
    const code = await crawler.stop();
    if (code !== 0) ctx.say(`crawler exited with code ${code}:\n${crawler.tail()}`);
    let perfSummary: PerfSummary | undefined;
    if (perf) {
      perfSummary = await summarisePerf(perfFile, crawler.pid);
      // The JIT symbol map V8 wrote for perf.
      if (!Deno.env.get("BENCH_KEEP_PERF_MAP")) {
        await Deno.remove(`/tmp/perf-${crawler.pid}.map`).catch(() => {});
      }
    }
    return {
      pages,
      seconds,
      pagesPerSec: pages > 1 ? (pages - 1) / seconds : 0,
      cpuSec: cpu,
      cpuMsPerPage: 1000 * cpu / Math.max(pages, 1),
      peakRssMb: rss,
      siteCpuSec: siteCpu,
      complete,
      machine,
      topProcesses: top,
      redisCallsPerPage,
      counterCpuSec: selfCpu,
      serviceCpuSec,
      threads,
      mainThreadWaitingSec: sched1.waiting - sched0.waiting,
      mainThreadCpuSec: sched1.onCpu - sched0.onCpu,
      windowSec,
      ...(useV8 ? { profilePath: `${opts.profileDir}/crawler.cpuprofile` } : {}),
      ...(perfSummary ? { perf: perfSummary } : {}),
    };
  } finally {
    await crawl.close();
  }
}

/** Runs the baseline (`bare_crawl.ts`) once against a fresh site process. */
export async function bareBench(ctx: BenchContext): Promise<RunFigures> {
  const { site, origin } = await startSiteProcess(ctx);
  try {
    const bare = spawnChild("bare", [
      "run",
      "--allow-all", // Deno grants /proc/self only to --allow-all
      benchPath("bare_crawl.ts"),
      "--seed",
      `${origin}/p/0`,
      "--pages",
      String(ctx.pages),
      "--concurrency",
      String(ctx.concurrency),
    ]);
    const site0 = cpuSeconds(site.pid);
    const machine0 = systemCpu();
    const procs0 = allProcessCpu();
    const [line] = await bare.waitForLine(/^\{.*\}$/, ctx.stallMs + 600_000);
    const siteCpu = cpuSeconds(site.pid) - site0;
    const machine = systemCpuDelta(machine0, systemCpu());
    const top = topProcesses(procs0, allProcessCpu(), _names(ctx, [site, bare]));
    await bare.exited;
    const r = JSON.parse(line) as BareResult;
    if (r.errors > 0) ctx.say(`bare: ${r.errors} fetch error(s)`);
    return {
      pages: r.pages,
      seconds: r.seconds,
      pagesPerSec: r.pagesPerSec,
      cpuSec: r.cpuSec,
      cpuMsPerPage: 1000 * r.cpuSec / Math.max(r.pages, 1),
      peakRssMb: r.peakRssMb,
      siteCpuSec: siteCpu,
      complete: r.pages >= ctx.pages,
      machine,
      topProcesses: top,
    };
  } finally {
    await site.stop(5_000);
  }
}
