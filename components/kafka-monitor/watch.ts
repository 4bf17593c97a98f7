/**
 * `feed --watch`: follows one crawl until it has had nothing pending for `idleSec` seconds (it
 * finished) or the signal aborts (Ctrl-C), showing its progress through a
 * {@linkcode ProgressDisplay} and resolving with the summary. Where the numbers come from is the
 * caller's `read` (`feed_watch.ts` reads `lib/api/progress.ts`); a failed read is shown once per
 * outage and the watch goes on, without counting the time towards the idle period.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchCrawl } from "./watch.ts";
 * import { ProgressDisplay } from "./watch_render.ts";
 *
 * const summary = await watchCrawl({
 *   read: () => Promise.resolve({ done: 4, errors: 0, refused: 0, pending: 0, ratePerSec: 0 }),
 *   idleSec: 0,
 *   display: new ProgressDisplay({ tty: false, write: () => {} }),
 * });
 * assert.equal(summary.ending, "finished");
 * assert.equal(summary.done, 4);
 * ```
 *
 * @module
 */

import type { CrawlProgress, ProgressDisplay, WatchSummary } from "./watch_render.ts";

/** Options of {@linkcode watchCrawl}. */
export interface WatchOptions {
  /** Reads the crawl's counts now. */
  read: () => Promise<CrawlProgress>;
  /** Seconds with nothing pending after which the crawl counts as finished. */
  idleSec: number;
  /** Shows each reading. */
  display: ProgressDisplay;
  /** Aborting it ends the watch (`interrupted`). */
  signal?: AbortSignal;
  /**
   * Milliseconds between readings.
   * @default {500}
   */
  intervalMs?: number;
  /** The clock, in milliseconds. @default {performance.now} */
  now?: () => number;
}

/** Watches until the crawl is idle for `idleSec` or `signal` aborts; never throws for a read. */
export async function watchCrawl(opts: WatchOptions): Promise<WatchSummary> {
  const now = opts.now ?? (() => performance.now());
  const intervalMs = opts.intervalMs ?? 500;
  const t0 = now();
  let last: CrawlProgress = { done: 0, errors: 0, refused: 0, pending: 0, ratePerSec: 0 };
  let idleSince: number | null = null;
  let seenAny = false;
  let readFailing = false;

  while (true) {
    const t = now();
    const seconds = (t - t0) / 1000;
    try {
      last = await opts.read();
      if (readFailing) opts.display.print("Progress can be read again.");
      readFailing = false;
      seenAny ||= last.done + last.pending + last.errors + last.refused > 0;
      idleSince = last.pending > 0 ? null : idleSince ?? t;
      opts.display.update(last, seconds);
    } catch (err) {
      if (!readFailing) {
        opts.display.print(
          `Cannot read the crawl's progress (will retry): ${(err as Error).message}`,
        );
      }
      readFailing = true;
      idleSince = null;
    }
    const idleSec = idleSince === null ? 0 : (t - idleSince) / 1000;
    if (idleSince !== null && idleSec >= opts.idleSec) {
      return end("finished", seconds, idleSec);
    }
    if (opts.signal?.aborted || !(await pause(intervalMs, opts.signal))) {
      return end("interrupted", (now() - t0) / 1000, idleSec);
    }
  }

  function end(ending: WatchSummary["ending"], seconds: number, idleSec: number): WatchSummary {
    opts.display.end();
    return { ...last, ending, seconds, idleSec, seenAny };
  }
}

/** Waits `ms`; false when `signal` aborted first. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
