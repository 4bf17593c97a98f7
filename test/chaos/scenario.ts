/**
 * One fault on one fresh crawl: the chaos site, a kafka-monitor, a redis-monitor and two
 * crawlers as subprocesses (the permissions of their deno tasks), the crawl fed through Kafka a
 * section (seed) at a time, the fault injected once part of the crawl is on the crawled topic,
 * and — once the crawl is over or has stalled — the topic read whole and checked page by page
 * ({@linkcode analyse}).
 *
 * @module
 */

import { retry, sleep } from "../../lib/async/mod.ts";
import { createKafka, createProducer, ensureTopics } from "../../lib/services/mod.ts";
import { crawledFirehose, outboundFirehose } from "../../lib/api/mod.ts";
import { type RunningComponent, startComponent } from "../processes.ts";
import { analyse, type Delivery, type FaultReport, type FaultTimes } from "./analysis.ts";
import type { ChaosServices } from "./services.ts";
import { startChaosSite } from "./site.ts";
import { createTimedTopic, readDeliveries, topicSize } from "./topic.ts";
import { flushChaosRedis, frontierLeases } from "./frontier.ts";

/** The shape and pace of one chaos crawl. */
export interface CrawlPlan {
  /** Seeds (section pages); each brings `perSection - 1` leaves. */
  sections: number;
  /** Pages per section, the section page included. */
  perSection: number;
  /** Milliseconds each page takes to answer (paces the crawl). */
  delayMs: number;
  /** Milliseconds between two seeds fed to Kafka. */
  feedIntervalMs: number;
  /** The fault is injected once this share of the pages is on the crawled topic. */
  faultAtShare: number;
  /** Crawler processes. */
  crawlers: number;
  /** Settings (environment) of every component. */
  settings: Record<string, string>;
  /** Give up waiting when the topic gains nothing for this long (after the fault ended). */
  stallMs: number;
  /** Once every page arrived, wait at most this long for the leases to drain. */
  settleMs: number;
}

/** What a fault gets to work with. */
export interface FaultContext {
  readonly services: ChaosServices;
  readonly crawlers: readonly RunningComponent[];
  /** The settings the components run with. */
  readonly settings: Readonly<Record<string, string>>;
  readonly say: (line: string) => void;
}

/** A fault to inject into a running crawl. */
export interface Fault {
  /** Short name (`crawler-kill`). */
  readonly name: string;
  /** What it does, for the table. */
  readonly what: string;
  /** The services it breaks (they must have been started by the harness). */
  readonly breaks: readonly ("redis" | "kafka" | "zookeeper")[];
  /** Changes to the crawl plan for this fault. */
  readonly plan?: Partial<CrawlPlan>;
  /** Injects the fault; resolves once it is over. */
  inject(ctx: FaultContext): Promise<FaultTimes>;
}

/** The outcome of one fault. */
export interface ScenarioResult extends FaultReport {
  fault: string;
  what: string;
  /** Seconds the fault lasted (from injection to its end). */
  faultSec: number | null;
  /** Seconds from the first seed to the end of the check. */
  crawlSec: number;
  /** Leases still held when the check ended (requests that will come back on lease expiry). */
  leasesLeft: number | null;
  /** Missing pages the site served at least once (lost after the fetch). */
  missingFetched: number;
  /** Exit codes of the components on SIGTERM at the end (137: the crawler killed). */
  exitCodes: Record<string, number>;
  /** Log lines at WARNING or above, per component. */
  warnings: Record<string, number>;
  /** How the wait ended, and anything odd. */
  notes: string[];
}

/** Options of {@linkcode runScenario}. */
export interface ScenarioOptions {
  /** Folder for the components' logs (`<fault>-<component>.log`). */
  logDir: string;
  say?: (line: string) => void;
}

/** Runs `fault` on a fresh crawl planned by `plan` (with the fault's own changes). */
export async function runScenario(
  services: ChaosServices,
  fault: Fault,
  basePlan: CrawlPlan,
  opts: ScenarioOptions,
): Promise<ScenarioResult> {
  const plan: CrawlPlan = {
    ...basePlan,
    ...fault.plan,
    settings: { ...basePlan.settings, ...fault.plan?.settings },
  };
  const say = (line: string) => opts.say?.(`[${fault.name}] ${line}`);
  const id = crypto.randomUUID().slice(0, 8);
  const prefix = `chaos-${id}`;
  const crawlid = `chaos-${fault.name}-${id}`;
  const env: Record<string, string> = {
    ...services.env,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    KAFKA_GROUP: `chaos-group-${id}`,
    ZOOKEEPER_ASSIGN_PATH: `/crawl-cluster-chaos/${id}/`,
    ...plan.settings,
  };
  // A fresh frontier: nothing (heartbeats, lease holders) left by the previous fault's crawl.
  if (services.redis || services.redisCluster) await flushChaosRedis(services.env);
  const crawled = crawledFirehose(prefix);
  const hosts = services.env.KAFKA_HOSTS;
  const kafka = createKafka(hosts, "chaos");
  await createTimedTopic(kafka, crawled);
  await ensureTopics(kafka, [env.KAFKA_INCOMING_TOPIC, outboundFirehose(prefix)]);
  const site = await startChaosSite(plan);
  const expected = site.expected;
  const notes: string[] = [];
  const logOf = (name: string) => `${opts.logDir}/${fault.name}-${name}.log`;
  const components: [string, RunningComponent][] = [
    [
      "kafka-monitor",
      startComponent("kafka-monitor", ["run"], env, { logPath: logOf("kafka-monitor") }),
    ],
    [
      "redis-monitor",
      startComponent("redis-monitor", ["run"], env, { logPath: logOf("redis-monitor") }),
    ],
  ];
  const crawlers: RunningComponent[] = [];
  for (let i = 1; i <= plan.crawlers; i++) {
    const crawler = startComponent("crawler", ["run"], env, { logPath: logOf(`crawler-${i}`) });
    crawlers.push(crawler);
    components.push([`crawler-${i}`, crawler]);
  }
  const startedAt = Date.now();
  // A component that ends on its own (not SIGKILLed by a fault) ends the wait at once.
  let stopping = false;
  const died: string[] = [];
  for (const [name, c] of components) {
    c.child.status.then((status) => {
      if (stopping || status.signal === "SIGKILL") return;
      died.push(name);
      notes.push(`${name} exited on its own with code ${status.code}: ${_lastLine(logOf(name))}`);
    });
  }
  const stopFeed = new AbortController();
  const feeding = _feed(kafka, env.KAFKA_INCOMING_TOPIC, site.seeds, crawlid, plan, {
    signal: stopFeed.signal,
    say,
  }).catch((err) => {
    notes.push(`feeding failed: ${err?.message ?? err}`);
  });
  let feedDone = false;
  feeding.finally(() => feedDone = true);

  // Set from callbacks: kept in an object so the compiler does not narrow it to null.
  const injected: { times: FaultTimes | null } = { times: null };
  let injecting: Promise<unknown> | null = null;
  let deliveries: Delivery[] = [];
  let leasesLeft: number | null = null;
  const exitCodes: Record<string, number> = {};
  try {
    const triggerAt = Math.max(1, Math.ceil(expected.length * plan.faultAtShare));
    let last = -1;
    let lastChange = Date.now();
    let lastSaid = 0;
    let complete = false;
    for (;;) {
      if (died.length > 0) break;
      const size = await topicSize(hosts, crawled);
      const now = Date.now();
      if (size !== null && size !== last) {
        last = size;
        lastChange = now;
      }
      if (now - lastSaid >= 5_000) {
        lastSaid = now;
        say(`${size ?? "?"} items on the topic / ${expected.length} pages`);
      }
      if (!injecting && size !== null && size >= triggerAt) {
        say(`injecting at ${size} items: ${fault.what}`);
        injecting = fault.inject({ services, crawlers, settings: env, say }).then(
          (t) => {
            injected.times = t;
            say(`fault over after ${((t.endAt - t.startAt) / 1000).toFixed(1)} s`);
          },
          (err) => {
            notes.push(`the fault could not be injected: ${err?.message ?? err}`);
            injected.times = { startAt: now, endAt: Date.now() };
          },
        );
      }
      const quiet = feedDone && (injecting === null || injected.times !== null);
      if (quiet && size !== null && size >= expected.length) {
        deliveries = await readDeliveries(hosts, crawled);
        if (
          analyse(expected, deliveries, injected.times ?? { startAt: now, endAt: now }).missing
            .length === 0
        ) {
          complete = true;
          break;
        }
      }
      if (quiet && now - lastChange > plan.stallMs) {
        notes.push(`stalled: nothing new on the topic for ${plan.stallMs / 1000} s`);
        break;
      }
      await sleep(500);
    }
    if (!injecting) notes.push("the crawl never reached the fault's trigger");
    if (complete) {
      // Everything arrived: wait for the leases to drain (late duplicates would come from them).
      const deadline = Date.now() + plan.settleMs;
      while (Date.now() < deadline) {
        leasesLeft = await _frontierLeft(services.env);
        if (leasesLeft === 0) break;
        await sleep(500);
      }
      if (leasesLeft !== 0) notes.push(`${leasesLeft ?? "?"} leases still held at the end`);
    } else {
      leasesLeft = await _frontierLeft(services.env);
    }
    deliveries = await readDeliveries(hosts, crawled);
  } finally {
    stopping = true;
    stopFeed.abort();
    await feeding;
    await injecting;
    for (const [name, c] of components) exitCodes[name] = await c.stop();
    await site.close();
  }
  const times = injected.times;
  const faultTimes: FaultTimes = times ?? { startAt: Date.now(), endAt: Date.now() };
  const report = analyse(expected, deliveries, faultTimes);
  const warnings: Record<string, number> = {};
  for (const [name] of components) warnings[name] = await _warnings(logOf(name));
  return {
    fault: fault.name,
    what: fault.what,
    ...report,
    faultSec: times ? Math.round(((faultTimes.endAt - faultTimes.startAt) / 1000) * 10) / 10 : null,
    crawlSec: Math.round((Date.now() - startedAt) / 100) / 10,
    leasesLeft,
    missingFetched: report.missing.filter((p) => (site.fetches.get(p) ?? 0) > 0).length,
    exitCodes,
    warnings,
    notes,
  };
}

/** Feeds one crawl request per seed, `feedIntervalMs` apart, each retried until Kafka has it. */
async function _feed(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  seeds: readonly string[],
  crawlid: string,
  plan: CrawlPlan,
  opts: { signal: AbortSignal; say: (line: string) => void },
): Promise<void> {
  const producer = createProducer(kafka);
  const t0 = Date.now();
  try {
    await retry(() => producer.connect(), {
      maxAttempts: 20,
      maxDelayMs: 1_000,
      signal: opts.signal,
    });
    for (let i = 0; i < seeds.length; i++) {
      await sleep(t0 + i * plan.feedIntervalMs - Date.now(), opts.signal);
      const value = JSON.stringify({ url: seeds[i], appid: "chaos", crawlid, maxdepth: 1 });
      await retry(() => producer.send({ topic, acks: -1, messages: [{ value }] }), {
        maxAttempts: Infinity,
        deadlineMs: 180_000,
        minDelayMs: 200,
        maxDelayMs: 1_000,
        signal: opts.signal,
        onRetry: (err, attempt) => {
          if (attempt === 1) {
            opts.say(`feeding seed ${i} failed, retrying: ${(err as Error).message}`);
          }
        },
      });
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

/** Leases held in the frontier now, over every shard (null when Redis does not answer). */
async function _frontierLeft(env: ChaosServices["env"]): Promise<number | null> {
  try {
    return (await frontierLeases(env)).length;
  } catch {
    return null;
  }
}

/** The last non-empty line of a log (cut to 300 characters). */
function _lastLine(path: string): string {
  try {
    const lines = Deno.readTextFileSync(path).trim().split("\n");
    return (lines.find((l) => /error:/i.test(l)) ?? lines.at(-1) ?? "").slice(0, 300);
  } catch {
    return "(no log)";
  }
}

/** Log lines at WARNING or above in a component's log. */
async function _warnings(path: string): Promise<number> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").filter((l) => /\b(WARNING|ERROR|CRITICAL)\b/.test(l)).length;
  } catch {
    return 0;
  }
}
