/**
 * The command line of `deno task bench` (see run.ts for the usage): which benchmarks run and
 * their sizes.
 *
 * @module
 */

/**
 * `crawler` and `bare` are the measured runs; `profile` is a crawler run under Linux perf
 * (on-CPU samples; `cpuprof` when perf is missing), `cpuprof` one under V8's `--cpu-prof`,
 * `steps` the in-process cost of each per-page step (steps.ts); `latency` feed → first result
 * (latency_bench.ts), `ingest` the kafka-monitor draining a backlog (ingest_bench.ts), `slow`
 * the crawler against a site answering late (slow_bench.ts), `scale` 1, 2 and 4 crawler processes
 * sharing one crawl (scale_bench.ts), `memory` Redis bytes per pending request (memory_bench.ts,
 * on a redis-server of its own).
 */
export const BENCHMARKS = [
  "crawler",
  "bare",
  "profile",
  "cpuprof",
  "steps",
  "frontier",
  "rest",
  "latency",
  "ingest",
  "slow",
  "scale",
  "memory",
] as const;
export type Benchmark = typeof BENCHMARKS[number];

/** The parsed command line. */
export interface BenchFlags {
  pages: number;
  concurrency: number;
  links: number;
  pageKb: number;
  only: Benchmark[];
  stallSec: number;
  /** KAFKA_PRODUCER_BUFFER_BYTES for the crawler (below the broker's ~1 MB batch limit). */
  producerBufferBytes: number;
  /** Extra settings for the crawler and kafka-monitor (`--set NAME=VALUE`, repeatable). */
  crawlerEnv: Record<string, string>;
  /** `latency`: timed crawls. */
  crawls: number;
  /** `ingest`: requests pre-filled on the incoming topic. */
  requests: number;
  /** `slow`: the site's delay per answer, ms. */
  delayMs: number;
  /** `slow`: CONCURRENT_REQUESTS. */
  slowConcurrency: number;
  /** `scale`: the numbers of crawler processes, one run each. */
  crawlers: number[];
  /** `memory`: pending requests filled. */
  pending: number;
}

/** Flags that take a positive integer, by the field they set. */
const NUMERIC = {
  "pages": "pages",
  "concurrency": "concurrency",
  "links": "links",
  "page-kb": "pageKb",
  "stall-sec": "stallSec",
  "producer-buffer-bytes": "producerBufferBytes",
  "crawls": "crawls",
  "requests": "requests",
  "delay-ms": "delayMs",
  "slow-concurrency": "slowConcurrency",
  "pending": "pending",
} as const;

/** Parses the command line; throws one line for a bad flag. */
export function parseFlags(args: string[]): BenchFlags {
  const flags: BenchFlags = {
    pages: 5000,
    concurrency: 64,
    links: 40,
    pageKb: 20,
    only: ["crawler", "bare", "frontier", "rest"],
    stallSec: 60,
    producerBufferBytes: 4_194_304,
    crawlerEnv: {},
    crawls: 200,
    requests: 50_000,
    delayMs: 50,
    slowConcurrency: 200,
    crawlers: [1, 2, 4],
    pending: 1_000_000,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = arg.startsWith("--") ? arg.slice(2).split("=", 2) : [arg];
    const value = () => inline ?? args[++i];
    if (name === "set") {
      const pair = String(value());
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`Cannot run: --set is ${pair}, not NAME=VALUE`);
      flags.crawlerEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (name === "profile") {
      if (!flags.only.includes("profile")) flags.only.push("profile");
    } else if (name === "only") {
      const list = String(value()).split(",").map((s) => s.trim());
      const bad = list.find((b) => !(BENCHMARKS as readonly string[]).includes(b));
      if (bad !== undefined) {
        throw new Error(`Cannot run: --only is ${bad}, not one of ${BENCHMARKS.join(", ")}`);
      }
      flags.only = list as Benchmark[];
    } else if (name === "crawlers") {
      const raw = String(value());
      const list = raw.split(",").map((s) => Number(s.trim()));
      if (!list.every((n) => Number.isInteger(n) && n >= 1)) {
        throw new Error(`Cannot run: --crawlers is ${raw}, not a list of positive integers`);
      }
      flags.crawlers = list;
    } else if (name in NUMERIC) {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`Cannot run: --${name} is ${raw}, not a positive integer`);
      }
      flags[NUMERIC[name as keyof typeof NUMERIC]] = n;
    } else {
      throw new Error(`Cannot run: unknown argument ${arg} (see test/bench/run.ts)`);
    }
  }
  return flags;
}
