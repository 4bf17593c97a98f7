/**
 * The `slow` bench: the crawler bench against a site that answers every request 50 ms late, at
 * concurrency 200. A crawler that only waits should reach concurrency ÷ latency = 4,000 pages/s;
 * what stops it short is either its own CPU (its one JS thread busy) or something else (a
 * scheduling or pipelining limit). The report gives both limits beside the measured rate.
 *
 * @module
 */

import { type BenchContext, crawlerBench, type CrawlerFigures } from "./crawler_bench.ts";

/** Figures of the `slow` run. */
export interface SlowFigures {
  siteDelayMs: number;
  concurrency: number;
  /** The crawler run itself (pages/s, CPU ms/page, RSS, threads…). */
  run: CrawlerFigures;
  /** concurrency ÷ latency: pages/s if fetching were the only cost. */
  idealPagesPerSec: number;
  /** 1000 ÷ the main thread's CPU ms per page: pages/s with that thread 100 % busy. */
  cpuLimitPagesPerSec: number;
  /** The target: 80 % of the ideal or the CPU limit, whichever is lower. */
  targetPagesPerSec: number;
  /** Share of the measured window the crawler's main thread was on a CPU. */
  mainThreadBusy: number;
  /** Share of the machine's CPU time (all CPUs) that was idle during the run. */
  machineIdle: number;
}

/** Runs the crawler bench against the delayed site. */
export async function slowBench(
  ctx: BenchContext,
  opts: { delayMs?: number; concurrency?: number } = {},
): Promise<SlowFigures> {
  const siteDelayMs = opts.delayMs ?? 50;
  const concurrency = opts.concurrency ?? 200;
  ctx.say(`slow: site answers ${siteDelayMs} ms late, CONCURRENT_REQUESTS=${concurrency}`);
  const run = await crawlerBench({ ...ctx, siteDelayMs, concurrency });
  const idealPagesPerSec = concurrency * 1000 / siteDelayMs;
  const mainMsPerPage = 1000 * run.mainThreadCpuSec / Math.max(run.pages, 1);
  const cpuLimitPagesPerSec = mainMsPerPage > 0 ? 1000 / mainMsPerPage : Infinity;
  const m = run.machine;
  return {
    siteDelayMs,
    concurrency,
    run,
    idealPagesPerSec,
    cpuLimitPagesPerSec,
    targetPagesPerSec: Math.min(0.8 * idealPagesPerSec, cpuLimitPagesPerSec),
    mainThreadBusy: run.mainThreadCpuSec / run.windowSec,
    machineIdle: m.idle / (m.busy + m.idle + m.steal),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

/** The report lines. */
export function formatSlow(f: SlowFigures): string {
  const r = f.run;
  const head = ["pages", "seconds", "pages/s", "ideal", "of ideal", "CPU limit", "target"];
  const row = [
    String(r.pages),
    r.seconds.toFixed(2),
    r.pagesPerSec.toFixed(0),
    f.idealPagesPerSec.toFixed(0),
    pct(r.pagesPerSec / f.idealPagesPerSec),
    f.cpuLimitPagesPerSec.toFixed(0),
    f.targetPagesPerSec.toFixed(0),
  ];
  const widths = head.map((h, i) => Math.max(h.length, row[i].length));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  return [
    `slow site (${f.siteDelayMs} ms per answer, concurrency ${f.concurrency}${
      r.complete ? "" : ", INCOMPLETE"
    }):`,
    line(head),
    line(row),
    `crawler CPU ${r.cpuMsPerPage.toFixed(2)} ms/page (main thread ${
      (1000 * r.mainThreadCpuSec / Math.max(r.pages, 1)).toFixed(2)
    }), main thread busy ${pct(f.mainThreadBusy)}, waiting for a CPU ${
      r.mainThreadWaitingSec.toFixed(2)
    } s; machine idle ${pct(f.machineIdle)}; peak RSS ${r.peakRssMb.toFixed(0)} MB`,
  ].join("\n");
}
