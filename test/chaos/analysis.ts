/**
 * The page-by-page check after a fault: which expected pages reached the crawled topic, which
 * never did, how many arrived more than once, and how long the crawl took to resume once the
 * fault was over. Pure functions over what was read from the topic, so they are unit-tested.
 *
 * @module
 */

/** One result item read from the crawled topic. */
export interface Delivery {
  /** The page's path (from the item's `url`). */
  path: string;
  /** When the broker appended it (ms since the epoch; the topic uses LogAppendTime). */
  time: number;
  /** The item's `status_code` (null when it has none). */
  status: number | null;
}

/** When a fault began and ended (ms since the epoch). */
export interface FaultTimes {
  /** The fault was injected (signal sent, server asked to go). */
  startAt: number;
  /** The fault was over (the server was serving again; for a killed crawler: the kill). */
  endAt: number;
  /**
   * Paths whose return is timed separately: the requests leased when a crawler was killed.
   * Those already delivered before `startAt` are left out.
   */
  watch?: string[];
}

/** What one fault showed. */
export interface FaultReport {
  /** Pages the crawl must deliver. */
  expected: number;
  /** Expected pages delivered with status 200 at least once. */
  received: number;
  /** Expected pages never delivered with status 200, sorted. */
  missing: string[];
  /** Deliveries beyond the first of each page (at-least-once: allowed, reported). */
  duplicates: number;
  /** Pages delivered more than once. */
  duplicatePages: number;
  /** Items of an expected page with a status other than 200 (e.g. a failure item). */
  errorItems: number;
  /** Items for paths the crawl never asked for. */
  unexpected: number;
  /** Every item read. */
  messages: number;
  /**
   * Seconds from the fault's end to the first delivery of a page not delivered before it;
   * null when the crawl had delivered everything before the fault ended.
   */
  resumeSec: number | null;
  /** The longest wait between two new pages from the fault's start to the crawl's end, s. */
  longestGapSec: number;
  /** Watched pages (a killed crawler's leases) not yet delivered when the fault began. */
  orphans: number;
  /**
   * Seconds from the fault's start until the last orphan was delivered; null when one never
   * was (or there were none).
   */
  orphansBackSec: number | null;
}

const round = (ms: number) => Math.round(ms / 100) / 10;

/** Checks the deliveries of one crawl against the pages it must deliver. */
export function analyse(
  expected: readonly string[],
  deliveries: readonly Delivery[],
  fault: FaultTimes,
): FaultReport {
  const wanted = new Set(expected);
  const sorted = [...deliveries].sort((a, b) => a.time - b.time);
  const firstOk = new Map<string, number>();
  const okCount = new Map<string, number>();
  let errorItems = 0;
  let unexpected = 0;
  for (const d of sorted) {
    if (!wanted.has(d.path)) {
      unexpected++;
    } else if (d.status !== 200) {
      errorItems++;
    } else {
      okCount.set(d.path, (okCount.get(d.path) ?? 0) + 1);
      if (!firstOk.has(d.path)) firstOk.set(d.path, d.time);
    }
  }
  const missing = expected.filter((p) => !firstOk.has(p)).sort();
  let duplicates = 0;
  let duplicatePages = 0;
  for (const n of okCount.values()) {
    duplicates += n - 1;
    if (n > 1) duplicatePages++;
  }
  const firsts = [...firstOk.values()].sort((a, b) => a - b);
  const afterEnd = firsts.find((t) => t >= fault.endAt);
  const resumeSec = afterEnd === undefined ? null : round(afterEnd - fault.endAt);
  let longestGap = 0;
  let previous = fault.startAt;
  for (const t of firsts) {
    if (t < fault.startAt) continue;
    longestGap = Math.max(longestGap, t - previous);
    previous = t;
  }
  const orphans = (fault.watch ?? []).filter((p) =>
    wanted.has(p) && !((firstOk.get(p) ?? Infinity) < fault.startAt)
  );
  let orphansBack: number | null = null;
  if (orphans.length > 0 && orphans.every((p) => firstOk.has(p))) {
    orphansBack = Math.max(...orphans.map((p) => firstOk.get(p)!)) - fault.startAt;
  }
  return {
    expected: expected.length,
    received: firstOk.size,
    missing,
    duplicates,
    duplicatePages,
    errorItems,
    unexpected,
    messages: deliveries.length,
    resumeSec,
    longestGapSec: round(longestGap),
    orphans: orphans.length,
    orphansBackSec: orphansBack === null ? null : round(orphansBack),
  };
}

/** The request URLs held in a list of leases (`<domain>\n<score>\n<request JSON>`). */
export function leasedUrls(leases: readonly string[]): string[] {
  const out: string[] = [];
  for (const lease of leases) {
    const start = lease.indexOf("{");
    if (start < 0) continue;
    try {
      const url = JSON.parse(lease.slice(start))?.url;
      if (typeof url === "string") out.push(url);
    } catch {
      const m = /"url"\s*:\s*"([^"]+)"/.exec(lease);
      if (m) out.push(m[1]);
    }
  }
  return out;
}
