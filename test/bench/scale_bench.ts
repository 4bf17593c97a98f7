/**
 * The `scale` bench: 1, 2 and 4 crawler processes (`--crawlers LIST`) sharing one crawl. For
 * each N: a fresh site and topic prefix, a kafka-monitor and N crawlers (the programs and
 * permissions of the crawler bench, each with CONCURRENT_REQUESTS = the bench concurrency),
 * all beating before one seed is fed through Kafka; results are counted on the firehose by
 * their `url`, so a page produced twice shows as a duplicate rather than as progress.
 *
 * Each crawler serves its metrics on a free loopback port (`METRICS_PORT`: the counters are kept
 * whether served or not, so this adds no per-page work); their page counters give each process's
 * share of the crawl. CPU and peak RSS come from /proc, as in the crawler bench.
 *
 * @module
 */

import { produceOnce } from "../../lib/services/mod.ts";
import { leasesKey, queueKey } from "../../lib/frontier/mod.ts";
import { type BenchContext, startBenchCrawl } from "./crawler_bench.ts";
import { awaitPages } from "./firehose_counter.ts";
import { awaitHeartbeat, crawlerHeartbeats, spawnComponent } from "./components.ts";
import {
  allProcessCpu,
  type Child,
  cpuSeconds,
  peakRssMb,
  schedSeconds,
  sleep,
  type SystemCpu,
  systemCpu,
  systemCpuDelta,
  topProcesses,
} from "./proc.ts";

/** One crawler process of a run. */
export interface ProcessFigures {
  /** Pages it downloaded (its `pages_fetched_total`; NaN when its metrics were unreadable). */
  pages: number;
  /** Result items it produced (`items_produced_total`). */
  items: number;
  /** Requests it put back to fetch again, and requests of others it reclaimed. */
  retries: number;
  leaseReclaims: number;
  /** CPU seconds during the measured window, and its main thread's time waiting for a CPU. */
  cpuSec: number;
  mainThreadWaitingSec: number;
  peakRssMb: number;
}

/** One run: N crawlers, one crawl. */
export interface ScaleRunFigures {
  crawlers: number;
  /** Distinct pages on the firehose (by url) when the run ended. */
  pages: number;
  /** Messages on the firehose; `duplicates` = messages − distinct pages. */
  messages: number;
  duplicates: number;
  complete: boolean;
  seconds: number;
  pagesPerSec: number;
  /** Sum over the N crawlers. */
  crawlerCpuSec: number;
  crawlerCpuMsPerPage: number;
  processes: ProcessFigures[];
  /** CPU ms per page of Redis, Kafka and the site process. */
  serviceCpuMsPerPage: Record<string, number>;
  siteCpuMsPerPage: number;
  machine: SystemCpu;
  /** Share of the machine's CPU time (all CPUs) that was idle. */
  machineIdle: number;
  topProcesses: [string, number][];
}

/** Figures of the `scale` bench. */
export interface CrawlerScaleFigures {
  pages: number;
  /** CONCURRENT_REQUESTS (and …_PER_DOMAIN) of each crawler process. */
  concurrencyPerProcess: number;
  linksPerPage: number;
  pageKb: number;
  runs: ScaleRunFigures[];
}

/** A free loopback port (closed again at once; the crawler binds it a moment later). */
function _freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The sum of a Prometheus counter over its label sets (0 when never counted). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || !"{ ".includes(line[name.length])) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** A crawler's counters from its `/metrics` (NaN each when unreadable). */
async function _counters(port: number) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  }).then((r) => r.ok ? r.text() : "").catch(() => "");
  const get = (name: string) => text ? metricSum(text, `crawl_cluster_${name}`) : NaN;
  return {
    pages: get("pages_fetched_total"),
    items: get("items_produced_total"),
    retries: get("retries_total"),
    leaseReclaims: get("lease_reclaims_total"),
  };
}

/** One crawl by `n` crawler processes. */
export async function scaleRun(ctx: BenchContext, n: number): Promise<ScaleRunFigures> {
  const what = `scale, ${n} crawler(s)`;
  const crawl = await startBenchCrawl(ctx, "bench-scale");
  const { crawlid, env, kafka, redis, counter, site, origin, children } = crawl;
  const domain = new URL(origin).hostname;
  const monitor = children[1];
  try {
    // One at a time, so each new heartbeat key is the one just started.
    const crawlers: { child: Child; port: number }[] = [];
    for (let i = 0; i < n; i++) {
      const before = await crawlerHeartbeats(redis);
      const port = _freePort();
      const child = spawnComponent("crawler", { ...env, METRICS_PORT: String(port) });
      children.push(child);
      await awaitHeartbeat(redis, before, child);
      crawlers.push({ child, port });
    }
    const names = new Map<number, string>([
      [Deno.pid, "bench"],
      [site.pid, "site"],
      [monitor.pid, "kafka-monitor"],
    ]);
    for (const s of ctx.services) names.set(s.pid, s.name);
    crawlers.forEach(({ child }, i) => names.set(child.pid, `crawler ${i + 1}`));
    await sleep(300); // start-up work settles

    const pids = crawlers.map(({ child }) => child.pid);
    const cpu0 = pids.map((p) => cpuSeconds(p));
    const wait0 = pids.map((p) => schedSeconds(p).waiting);
    const site0 = cpuSeconds(site.pid);
    const services0 = ctx.services.map((s) => cpuSeconds(s.pid));
    const machine0 = systemCpu();
    const procs0 = allProcessCpu();
    const seed = JSON.stringify({ url: `${origin}/p/0`, appid: "bench", crawlid, maxdepth: 50 });
    await produceOnce(kafka, env.KAFKA_INCOMING_TOPIC, seed, 10_000);
    const complete = await awaitPages(counter, ctx, what);
    const cpu = pids.map((p, i) => cpuSeconds(p) - cpu0[i]);
    const waiting = pids.map((p, i) => schedSeconds(p).waiting - wait0[i]);
    const siteCpu = cpuSeconds(site.pid) - site0;
    const servicesCpu = ctx.services.map((s, i) => cpuSeconds(s.pid) - services0[i]);
    const machine = systemCpuDelta(machine0, systemCpu());
    const top = topProcesses(procs0, allProcessCpu(), names);
    const seconds = ((counter.doneAt || performance.now()) - counter.firstAt) / 1000;

    // Let in-flight duplicates (if any) land before counting them: queue and leases empty.
    let left = { queued: 0, leased: 0 };
    for (let i = 0; i < 50; i++) {
      const [queued, leased] = await Promise.all([
        redis.zcard(queueKey("link", domain)),
        redis.zcard(leasesKey("link")),
      ]);
      left = { queued, leased };
      if (queued + leased === 0) break;
      await sleep(200);
    }
    if (left.queued + left.leased > 0 || !complete) {
      ctx.say(`${what}: ${left.queued} request(s) still queued, ${left.leased} leased`);
    }
    if (!complete) {
      for (const c of children.slice(1)) {
        ctx.say(`${c.name}'s last lines:\n${c.tail() || "(none)"}`);
      }
    }
    await sleep(1_000); // the firehose consumer catches up
    const counters = await Promise.all(crawlers.map(({ port }) => _counters(port)));
    const processes = crawlers.map(({ child }, i) => ({
      ...counters[i],
      cpuSec: cpu[i],
      mainThreadWaitingSec: waiting[i],
      peakRssMb: peakRssMb(child.pid),
    }));
    for (const { child } of crawlers) {
      const code = await child.stop();
      if (code !== 0) ctx.say(`${what}: crawler exited with code ${code}:\n${child.tail()}`);
    }
    const pages = Math.min(counter.urls.size, ctx.pages);
    const perPage = (sec: number) => 1000 * sec / Math.max(pages, 1);
    const crawlerCpuSec = cpu.reduce((a, b) => a + b, 0);
    return {
      crawlers: n,
      pages,
      messages: counter.messages,
      duplicates: counter.messages - counter.urls.size,
      complete,
      seconds,
      pagesPerSec: pages > 1 ? (pages - 1) / seconds : 0,
      crawlerCpuSec,
      crawlerCpuMsPerPage: perPage(crawlerCpuSec),
      processes,
      serviceCpuMsPerPage: Object.fromEntries(
        ctx.services.map((s, i) => [s.name, perPage(servicesCpu[i])]),
      ),
      siteCpuMsPerPage: perPage(siteCpu),
      machine,
      machineIdle: machine.idle / (machine.busy + machine.idle + machine.steal),
      topProcesses: top,
    };
  } finally {
    await crawl.close();
  }
}

/** Runs the crawl once per entry of `crawlers` (processes). */
export async function crawlerScaleBench(
  ctx: BenchContext,
  opts: { crawlers?: number[] } = {},
): Promise<CrawlerScaleFigures> {
  const runs: ScaleRunFigures[] = [];
  for (const n of opts.crawlers ?? [1, 2, 4]) {
    ctx.say(`scale: ${n} crawler process(es), CONCURRENT_REQUESTS=${ctx.concurrency} each`);
    runs.push(await scaleRun(ctx, n));
  }
  return {
    pages: ctx.pages,
    concurrencyPerProcess: ctx.concurrency,
    linksPerPage: ctx.linksPerPage,
    pageKb: ctx.pageBytes / 1024,
    runs,
  };
}

const fmt = (x: number, digits = 0) => Number.isNaN(x) ? "-" : x.toFixed(digits);
const pct = (x: number) => Number.isNaN(x) ? "-" : `${(100 * x).toFixed(0)} %`;

/** The report: one row per N, then each run's processes. */
export function formatCrawlerScale(f: CrawlerScaleFigures): string {
  const services = [...new Set(f.runs.flatMap((r) => Object.keys(r.serviceCpuMsPerPage)))];
  const head = [
    "crawlers",
    "pages",
    "seconds",
    "pages/s",
    "crawler CPU ms/page",
    ...services.map((s) => `${s} ms/page`),
    "site ms/page",
    "machine idle",
    "duplicates",
  ];
  const rows = f.runs.map((r) => [
    `${r.crawlers}${r.complete ? "" : " (incomplete)"}`,
    String(r.pages),
    fmt(r.seconds, 2),
    fmt(r.pagesPerSec),
    fmt(r.crawlerCpuMsPerPage, 2),
    ...services.map((s) => fmt(r.serviceCpuMsPerPage[s] ?? NaN, 2)),
    fmt(r.siteCpuMsPerPage, 2),
    pct(r.machineIdle),
    String(r.duplicates),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  const out = [
    `scale: N crawler processes sharing one crawl of ${f.pages} pages (~${f.pageKb} KB, ` +
    `${f.linksPerPage} links), CONCURRENT_REQUESTS ${f.concurrencyPerProcess} per process:`,
    line(head),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ];
  for (const r of f.runs) {
    const procs = r.processes.map((p, i) => {
      const share = p.pages / Math.max(r.pages, 1);
      return `#${i + 1} ${fmt(p.pages)} pages (${pct(share)}), CPU ${fmt(p.cpuSec, 2)} s, ` +
        `waiting for a CPU ${fmt(p.mainThreadWaitingSec, 2)} s, peak RSS ${fmt(p.peakRssMb)} MB` +
        (p.retries || p.leaseReclaims
          ? `, ${fmt(p.retries)} retries, ${fmt(p.leaseReclaims)} reclaimed`
          : "") +
        (p.pages === 0 ? " — GOT NO WORK" : "");
    });
    out.push(`N=${r.crawlers}: ${procs.join("; ")}`);
  }
  for (const r of f.runs) {
    out.push(
      `N=${r.crawlers} top processes: ` +
        r.topProcesses.map(([p, c]) => `${p} ${fmt(c, 1)} s`).join(", "),
    );
  }
  return out.join("\n");
}
