/**
 * `deno task bench`: starts Redis, ZooKeeper and Kafka (or uses `REDIS_URL`, `KAFKA_HOSTS`,
 * `ZOOKEEPER_HOSTS`), runs the benchmarks and prints a table and one JSON line of figures.
 * Never fails on timing: the targets are reported, not enforced.
 *
 * ```sh
 * deno task bench                          # crawler, then the bare baseline
 * deno task bench --pages 2000 --concurrency 32
 * deno task bench --only crawler           # or: bare, frontier, rest, profile, cpuprof, steps
 * deno task bench --only latency,ingest,slow  # feed → first item, kafka-monitor intake, slow site
 * deno task bench --only scale --crawlers 1,2,4   # N crawler processes sharing one crawl
 * deno task bench --only memory            # Redis bytes per pending request, 1,000,000 queued
 * deno task bench --profile                # also a crawler run under perf, summarised
 * deno task bench --only crawler --set CONCURRENT_REQUESTS=32   # any crawler setting
 * ```
 *
 * Read `CPU ms/page` first: pages/s depends on what else the machine runs (the report shows
 * the machine's busy/idle/stolen time and the top processes of each run).
 *
 * Flags: `--pages N` (5000), `--concurrency N` (64), `--links N` (40 per page), `--page-kb N`
 * (20), `--only LIST`, `--profile`, `--stall-sec N` (60: give up a run without progress),
 * `--producer-buffer-bytes N` (4194304, the shipped default: the crawler's
 * KAFKA_PRODUCER_BUFFER_BYTES; a batch never exceeds KAFKA_PRODUCER_MAX_REQUEST_SIZE anyway),
 * `--set NAME=VALUE` (a setting for the crawler and kafka-monitor, repeatable); `--crawls N`
 * (200, `latency`), `--requests N` (50000, `ingest`), `--delay-ms N` (50) and
 * `--slow-concurrency N` (200) for `slow`; `--crawlers LIST` (1,2,4: processes per run, each with
 * CONCURRENT_REQUESTS = `--concurrency`, crawling `--pages`) for `scale`; `--pending N`
 * (1000000) for `memory`. `latency`, `ingest`, `slow`, `scale` and `memory` each print a table
 * and a JSON line of their own (`"bench": "latency"` …); the others share the `"bench":
 * "crawler"` line.
 *
 * @module
 */

import { type LocalServices, startLocalServices } from "../../lib/services/local/mod.ts";
import {
  bareBench,
  type BenchContext,
  crawlerBench,
  type CrawlerFigures,
  type RunFigures,
} from "./crawler_bench.ts";
import { formatPerf } from "./perf.ts";
import { formatFrontier, frontierBench, type FrontierFigures } from "./frontier_bench.ts";
import { formatScale, frontierScaleBench, type ScaleFigures } from "./frontier_scale.ts";
import { formatRest, restBench, type RestFigures } from "./rest_bench.ts";
import { formatSummary, summariseProfile } from "./profile.ts";
import { formatSteps, measureSteps, type StepFigure } from "./steps.ts";
import { stopAllChildren } from "./proc.ts";
import { type BenchFlags, parseFlags } from "./flags.ts";
import { formatLatency, latencyBench } from "./latency_bench.ts";
import { formatIngest, ingestBench } from "./ingest_bench.ts";
import { formatSlow, slowBench } from "./slow_bench.ts";
import { crawlerScaleBench, formatCrawlerScale } from "./scale_bench.ts";
import { formatMemory, memoryBench } from "./memory_bench.ts";

export { type BenchFlags, parseFlags };

/** Issue 15's targets for the crawler run (reported, never enforced). */
export const TARGETS = { cpuMsPerPage: 0.45, peakRssMb: 200, pagesPerSec: 1500 } as const;

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);

/** The report table. */
export function reportTable(
  runs: [string, RunFigures][],
  ratio: number | undefined,
): string {
  const head = ["run", "pages", "seconds", "pages/s", "CPU s", "CPU ms/page", "peak RSS MB"];
  const rows = runs.map(([name, r]) => [
    name + (r.complete ? "" : " (incomplete)"),
    String(r.pages),
    fmt(r.seconds, 2),
    fmt(r.pagesPerSec, 0),
    fmt(r.cpuSec, 2),
    fmt(r.cpuMsPerPage, 2),
    fmt(r.peakRssMb, 0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const crawler = runs.find(([n]) => n === "crawler")?.[1];
  if (crawler) {
    const mark = (ok: boolean) => ok ? "met" : "MISSED";
    out.push("");
    out.push(
      `targets: CPU ≤ ${TARGETS.cpuMsPerPage} ms/page: ${
        mark(crawler.cpuMsPerPage <= TARGETS.cpuMsPerPage)
      }; pages/s ≥ ${TARGETS.pagesPerSec}: ${mark(crawler.pagesPerSec >= TARGETS.pagesPerSec)}; ` +
        `peak RSS < ${TARGETS.peakRssMb} MB: ${mark(crawler.peakRssMb < TARGETS.peakRssMb)}` +
        (ratio === undefined ? "" : `; crawler/bare pages/s ${fmt(ratio * 100, 0)} %`),
    );
  }
  for (const [name, r] of runs) {
    const m = r.machine;
    out.push(
      `machine during ${name}: busy ${fmt(m.busy)} s, idle ${fmt(m.idle)} s, stolen by the ` +
        `hypervisor ${fmt(m.steal)} s (CPU seconds over all CPUs); top processes: ` +
        r.topProcesses.map(([p, c]) => `${p} ${fmt(c)} s`).join(", "),
    );
  }
  return out.join("\n");
}

function _details(name: string, r: CrawlerFigures): string {
  const services = Object.entries(r.serviceCpuSec).map(([s, c]) => `${s} ${fmt(c, 2)} s`);
  return `${name}: site process ${fmt(r.siteCpuSec, 2)} s CPU, bench (counter) process ` +
    `${fmt(r.counterCpuSec, 2)} s, ${services.join(", ")}\n` +
    `${name} CPU by thread: ${r.threads.map(([t, s]) => `${t} ${fmt(s, 2)} s`).join(", ")}; ` +
    `main thread runnable but waiting for a CPU ${fmt(r.mainThreadWaitingSec, 2)} s\n` +
    `${name} Redis commands per page (inside scripts included): ` +
    r.redisCallsPerPage.map(([c, n]) => `${c} ${fmt(n, 2)}`).join(", ");
}

/** Stands in for the services when only `bare` or `steps` run. */
function _noServices(): LocalServices {
  return {
    env: { REDIS_URL: "", KAFKA_HOSTS: "", ZOOKEEPER_HOSTS: "" },
    processes: [],
    dataDir: "",
    stop: () => Promise.resolve(),
  };
}

async function main(): Promise<number> {
  const started = performance.now();
  const say = (line: string) => console.error(`[bench] ${line}`);
  let flags: BenchFlags;
  try {
    flags = parseFlags(Deno.args);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  // Ctrl-C stops our children and the services (while they start, lib/services/local's exit hook
  // kills them when we exit).
  const started_: { services?: LocalServices } = {};
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say("interrupted: stopping everything");
    stopAllChildren(2_000).finally(() => started_.services?.stop()).finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  // memory starts a redis-server of its own.
  const needServices = flags.only.some((b) => b !== "bare" && b !== "steps" && b !== "memory");
  const services = needServices ? await startLocalServices({ log: say }) : _noServices();
  started_.services = services;
  if (interrupted) {
    await services.stop();
    return 130;
  }
  const profileDir = flags.only.includes("profile") || flags.only.includes("cpuprof")
    ? await Deno.makeTempDir({ prefix: "crawl-bench-prof-" })
    : undefined;
  try {
    const ctx: BenchContext = {
      env: services.env,
      pages: flags.pages,
      concurrency: flags.concurrency,
      linksPerPage: flags.links,
      pageBytes: flags.pageKb * 1024,
      stallMs: flags.stallSec * 1000,
      producerBufferBytes: flags.producerBufferBytes,
      extraEnv: flags.crawlerEnv,
      services: services.processes.filter((p) => p.name !== "ZooKeeper")
        .map((p) => ({ name: p.name, pid: p.pid })),
      say,
    };
    say(
      `site: ${flags.pages} pages of ~${flags.pageKb} KB, ${flags.links} links each; ` +
        `concurrency ${flags.concurrency}; ${navigator.hardwareConcurrency} CPU(s)`,
    );
    const runs: [string, RunFigures][] = [];
    let crawler: CrawlerFigures | undefined;
    let profiled: CrawlerFigures | undefined;
    let bare: RunFigures | undefined;
    if (flags.only.includes("crawler")) {
      crawler = await crawlerBench(ctx);
      runs.push(["crawler", crawler]);
    }
    if (flags.only.includes("bare")) {
      bare = await bareBench(ctx);
      runs.push(["bare", bare]);
    }
    let cpuprofiled: CrawlerFigures | undefined;
    if (profileDir && flags.only.includes("profile")) {
      profiled = await crawlerBench(ctx, { profileDir, profiler: "perf" });
      runs.push([profiled.perf ? "crawler under perf" : "crawler --cpu-prof", profiled]);
    }
    if (profileDir && flags.only.includes("cpuprof")) {
      cpuprofiled = await crawlerBench(ctx, { profileDir, profiler: "v8" });
      runs.push(["crawler --cpu-prof", cpuprofiled]);
    }
    let frontier: FrontierFigures | undefined;
    let frontierScale: ScaleFigures | undefined;
    if (flags.only.includes("frontier")) {
      frontier = await frontierBench(services.env.REDIS_URL, { say });
      // On servers of its own: a plain Redis and a 3-master Redis Cluster.
      frontierScale = await frontierScaleBench({ say });
    }
    let rest: RestFigures | undefined;
    if (flags.only.includes("rest")) rest = await restBench(services.env, { say });
    let steps: StepFigure[] | undefined;
    if (flags.only.includes("steps")) {
      steps = await measureSteps("http://127.0.0.1:8000", {
        links: flags.links,
        bytes: flags.pageKb * 1024,
      });
    }
    // Each of these prints its own table and JSON line as soon as it has run.
    const separate = [
      ["latency", () => latencyBench(ctx, { crawls: flags.crawls }), formatLatency],
      ["ingest", () => ingestBench(ctx, { requests: flags.requests }), formatIngest],
      [
        "slow",
        () => slowBench(ctx, { delayMs: flags.delayMs, concurrency: flags.slowConcurrency }),
        formatSlow,
      ],
      ["scale", () => crawlerScaleBench(ctx, { crawlers: flags.crawlers }), formatCrawlerScale],
      ["memory", () => memoryBench({ workload: { requests: flags.pending }, say }), formatMemory],
    ] as const;
    for (const [name, run, format] of separate) {
      if (!flags.only.includes(name)) continue;
      // deno-lint-ignore no-explicit-any
      const figures: any = await run();
      console.log("");
      console.log(format(figures));
      console.log(JSON.stringify({ bench: name, cpus: navigator.hardwareConcurrency, ...figures }));
    }
    if (!flags.only.some((b) => !separate.some(([name]) => name === b))) return 0;
    const ratio = crawler && bare && bare.pagesPerSec > 0
      ? crawler.pagesPerSec / bare.pagesPerSec
      : undefined;
    const totalSec = (performance.now() - started) / 1000;
    console.log("");
    console.log(reportTable(runs, ratio));
    if (crawler) console.log(_details("crawler", crawler));
    if (profiled?.perf) {
      console.log("");
      console.log(formatPerf(profiled.perf, profiled.cpuMsPerPage));
    }
    for (const p of [profiled, cpuprofiled]) {
      if (!p?.profilePath) continue;
      console.log("");
      console.log(`V8 profile of the crawler (${p.profilePath}):`);
      const text = await Deno.readTextFile(p.profilePath);
      const main = p.threads.find(([t]) => t === "deno")?.[1] ?? p.cpuSec;
      console.log(formatSummary(summariseProfile(text, 20), 1000 * main / p.pages));
    }
    if (steps) {
      console.log("");
      console.log("per-page steps in-process, no I/O (steps.ts):");
      console.log(formatSteps(steps));
    }
    if (frontier) {
      console.log("");
      console.log(formatFrontier(frontier));
    }
    if (frontierScale) console.log(formatScale(frontierScale));
    if (rest) console.log(formatRest(rest));
    console.log(`total ${totalSec.toFixed(1)} s`);
    console.log(JSON.stringify({
      bench: "crawler",
      pages: flags.pages,
      concurrency: flags.concurrency,
      linksPerPage: flags.links,
      pageKb: flags.pageKb,
      settings: flags.crawlerEnv,
      cpus: navigator.hardwareConcurrency,
      crawler,
      bare,
      profiled,
      cpuprofiled,
      steps,
      frontier,
      frontierScale,
      rest,
      ratio,
      targets: TARGETS,
      totalSec,
    }));
    // Keep the folder only for a V8 profile (its path is printed, for Chrome DevTools).
    if (profileDir && !cpuprofiled?.profilePath && !profiled?.profilePath) {
      await Deno.remove(profileDir, { recursive: true }).catch(() => {});
    }
    return 0;
  } finally {
    await stopAllChildren();
    await services.stop();
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main();
  } catch (err) {
    console.error(`[bench] failed: ${(err as Error).message}`);
    code = 1;
  }
  Deno.exit(code);
}
