/**
 * `deno task chaos`: fault injection against real processes. Starts its own Redis (append-only
 * file on), ZooKeeper and Kafka 3.9 KRaft, then for each fault runs a fresh 2,000-page crawl of
 * the local chaos site (kafka-monitor, redis-monitor and two crawlers as subprocesses, the crawl
 * fed through Kafka a section at a time), injects the fault mid-crawl and checks the crawled
 * topic page by page. Prints a table and one JSON line; exits 1 when any page is missing.
 *
 * ```sh
 * deno task chaos                               # every fault
 * deno task chaos --only crawler-kill,kafka-kill
 * deno task chaos --sections 10 --keep          # 500 pages; keep the logs
 * ```
 *
 * @module
 */

import type { FaultReport } from "./analysis.ts";
import { FAULTS } from "./faults.ts";
import { type CrawlPlan, runScenario, type ScenarioResult } from "./scenario.ts";
import { startChaosServices } from "./services.ts";

/** The components' settings for a chaos crawl: fast, unthrottled, on the loopback site. */
export const CHAOS_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  // No politeness budget: the site's delay paces the crawl.
  THROTTLE_ENABLED: "false",
  // The chaos site is on 127.0.0.1.
  ALLOW_PRIVATE_ADDRESSES: "true",
  // Each robots.txt fetch hands its request back: noise here.
  ROBOTSTXT_OBEY: "false",
  // Far above HEARTBEAT_TIMEOUT (10 s): a killed crawler's pages must come back through fast
  // reclaim, not lease expiry.
  LEASE_TIMEOUT: "60",
  // Commands time out after 3 s (the Redis-outage fault stays down 8 s).
  REDIS_SOCKET_TIMEOUT: "3",
  IDLE_POLL_MS: "50",
  LOG_LEVEL: "INFO",
});

/** The full run's crawl: 40 sections × 50 pages, ~60 pages/s fed, faults at 20 %. */
export const CHAOS_PLAN: Readonly<CrawlPlan> = Object.freeze({
  sections: 40,
  perSection: 50,
  delayMs: 200,
  feedIntervalMs: 800,
  faultAtShare: 0.2,
  crawlers: 2,
  settings: CHAOS_SETTINGS,
  // Longer than LEASE_TIMEOUT: a page that only lease expiry brings back is late, not missing.
  stallMs: 90_000,
  settleMs: 20_000,
});

/**
 * The crawl of the fault tests in the suite (`test/e2e/chaos_test.ts`, `shard_restart_test.ts`):
 * 4 sections × 50 pages. LEASE_TIMEOUT 30 s: a test ends in bounded time even if a killed
 * crawler's pages only come back on lease expiry (`deno task chaos` times their return with a
 * 60 s lease).
 */
export const SUITE_PLAN: Readonly<CrawlPlan> = Object.freeze({
  sections: 4,
  perSection: 50,
  delayMs: 300,
  feedIntervalMs: 1_000,
  faultAtShare: 0.25,
  crawlers: 2,
  settings: { ...CHAOS_SETTINGS, LEASE_TIMEOUT: "30", LOG_LEVEL: "WARNING" },
  stallMs: 45_000,
  settleMs: 10_000,
});

/** One row of the table. */
export function tableRow(r: ScenarioResult): string[] {
  const sec = (v: number | null) => v === null ? "-" : v.toFixed(1);
  return [
    r.fault,
    String(r.expected),
    String(r.received),
    String(r.missing.length),
    String(r.duplicates),
    sec(r.faultSec),
    sec(r.resumeSec),
    r.orphans > 0 ? `${sec(r.orphansBackSec)} (${r.orphans})` : "-",
    sec(r.longestGapSec),
    r.leasesLeft === null ? "?" : String(r.leasesLeft),
    sec(r.crawlSec),
  ];
}

/** The table of results, aligned. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const head = [
    "fault",
    "expected",
    "received",
    "missing",
    "dupes",
    "fault s",
    "resume s",
    "orphans back s (n)",
    "longest gap s",
    "leases left",
    "crawl s",
  ];
  const rows = [head, ...results.map(tableRow)];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ")
  )
    .join("\n");
}

/** The one JSON line: every figure, missing pages listed (at most 20 per fault). */
export function jsonLine(results: readonly ScenarioResult[]): string {
  const faults = results.map((r) => {
    const { missing, ...rest } = r;
    return { ...rest, missing: missing.length, missingSample: missing.slice(0, 20) };
  });
  const missing = results.reduce((n, r) => n + r.missing.length, 0);
  return JSON.stringify({ chaos: { ok: missing === 0, missing, faults } });
}

function _flags(args: string[]): { only: string[] | null; sections: number; keep: boolean } {
  let only: string[] | null = null;
  let sections = CHAOS_PLAN.sections;
  let keep = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--only") only = (args[++i] ?? "").split(",").filter(Boolean);
    else if (a === "--sections") sections = Number(args[++i]);
    else if (a === "--keep") keep = true;
    else if (a === "--help" || a === "-h") {
      console.log(
        `deno task chaos [--only ${FAULTS.map((f) => f.name).join(",")}] [--sections N] [--keep]`,
      );
      Deno.exit(0);
    } else {
      console.error(`Cannot run chaos: unknown flag ${a} (see --help)`);
      Deno.exit(2);
    }
  }
  if (!(sections >= 1)) {
    console.error(`Cannot run chaos: --sections must be at least 1, current value is ${sections}`);
    Deno.exit(2);
  }
  const names = new Set(FAULTS.map((f) => f.name));
  for (const name of only ?? []) {
    if (!names.has(name)) {
      console.error(`Cannot run chaos: unknown fault ${name} (${[...names].join(", ")})`);
      Deno.exit(2);
    }
  }
  return { only, sections, keep };
}

async function main(): Promise<number> {
  const flags = _flags(Deno.args);
  const say = (line: string) => console.error(`[chaos] ${line}`);
  const faults = FAULTS.filter((f) => !flags.only || flags.only.includes(f.name));
  const plan: CrawlPlan = { ...CHAOS_PLAN, sections: flags.sections };
  const started = performance.now();
  const services = await startChaosServices({ keep: flags.keep, log: say });
  const logDir = `${services.dataDir}/logs`;
  await Deno.mkdir(logDir, { recursive: true });
  const results: ScenarioResult[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say("interrupted: stopping after this fault");
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    for (const fault of faults) {
      if (interrupted) break;
      say(`${fault.name}: ${fault.what}, ${plan.sections * plan.perSection} pages`);
      const result = await runScenario(services, fault, plan, { logDir, say });
      results.push(result);
      say(`${fault.name}: ${_summary(result)}`);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await services.stop();
  }
  console.log(formatTable(results));
  for (const r of results) {
    for (const note of r.notes) console.log(`  ${r.fault}: ${note}`);
    if (r.missing.length > 0) {
      console.log(
        `  ${r.fault}: missing ${r.missing.slice(0, 10).join(" ")}${
          r.missing.length > 10 ? " …" : ""
        } (${r.missingFetched} of them fetched by a crawler)`,
      );
    }
  }
  console.log(jsonLine(results));
  say(
    `done in ${((performance.now() - started) / 1000).toFixed(0)} s` +
      (flags.keep ? `; logs in ${logDir}` : ""),
  );
  const missing = results.some((r) => r.missing.length > 0);
  return missing || results.length < faults.length ? 1 : 0;
}

function _summary(r: FaultReport): string {
  return `${r.received}/${r.expected} pages, ${r.missing.length} missing, ${r.duplicates} duplicates, ` +
    `resumed ${r.resumeSec ?? "-"} s after the fault`;
}

if (import.meta.main) Deno.exit(await main());
