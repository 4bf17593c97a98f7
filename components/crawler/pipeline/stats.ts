/**
 * The crawler's counters, in Scrapy Cluster's names: `stats:crawler:<host>:<spiderid>:<status>`
 * for the response codes in `STATS_RESPONSE_CODES` (when `STATS_STATUS_CODES` is on; a download
 * that got no response counts as 504, like Scrapy Cluster's LogRetryMiddleware) and
 * `…:fail` for requests given up, `…:refused_network` / `…:refused_robots` for requests the
 * network guard or robots.txt refused. Counted in memory and written by the loop's maintenance
 * through a {@linkcode BufferedCounter}, which keeps what Redis did not take.
 *
 * Each download is also counted for its crawl ({@linkcode CrawlerStats.fetched}: the
 * `progress:<spiderid>:<appid>` counters the dashboard and `feed --watch` read, written by a
 * `ProgressRecorder` within a second, and the recent failures list).
 *
 * @module
 */

import { BufferedCounter, type StatsWriter } from "../../../lib/stats/mod.ts";
import type { CrawlIds, ProgressRecorder } from "../../../lib/api/progress_recorder.ts";

/** Options of {@linkcode CrawlerStats}. */
export interface CrawlerStatsOptions {
  /** Host name in the stat names. */
  host: string;
  spiderid: string;
  /** STATS_STATUS_CODES: count response codes at all. */
  statusCodes: boolean;
  /** STATS_RESPONSE_CODES: the codes counted. */
  countedCodes: readonly (string | number)[];
  /** Called when a write fails (the counts are kept). */
  onError?: (error: unknown) => void;
  /** Per-crawl download counters (`lib/api/progress_recorder.ts`); none: not counted. */
  progress?: ProgressRecorder;
}

/** Counts responses and failures of one crawler. */
export class CrawlerStats {
  readonly #counter: BufferedCounter;
  readonly #opts: CrawlerStatsOptions;
  readonly #codes: ReadonlySet<number>;

  constructor(write: StatsWriter, opts: CrawlerStatsOptions) {
    this.#opts = opts;
    this.#codes = new Set(opts.countedCodes.map(Number));
    this.#counter = new BufferedCounter(write, { onError: opts.onError });
  }

  /** One response with `status`, one request given up (`"fail"`) or refused. */
  count(status: number | "fail" | "refused_network" | "refused_robots"): void {
    if (typeof status === "number" && (!this.#opts.statusCodes || !this.#codes.has(status))) {
      return;
    }
    this.#counter.count(`${this.#opts.host}:${this.#opts.spiderid}:${status}`);
  }

  /**
   * One download of `crawl` for its crawl's progress: a response below 400 is done; 400 and
   * up, or `error` (no response), is an error and listed among the recent failures.
   */
  fetched(crawl: CrawlIds & { url: string }, status: number | null, error?: string): void {
    const { spiderid, appid, crawlid, url } = crawl;
    const ids = { spiderid, appid, crawlid };
    if (status !== null && status < 400) return this.#opts.progress?.record(ids, "done");
    this.#opts.progress?.record(ids, "errors", { url, reason: error ?? `HTTP ${status}` });
  }

  /** Counts not written yet, by stat name. */
  pending(): Map<string, number> {
    return this.#counter.pending();
  }

  /** Writes what was counted; false when Redis did not take it (it is kept). */
  async flush(): Promise<boolean> {
    const [counts, progress] = await Promise.all([
      this.#counter.flush(),
      this.#opts.progress?.flush() ?? true,
    ]);
    return counts && progress;
  }
}
