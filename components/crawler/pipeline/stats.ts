/**
 * The crawler's counters, in Scrapy Cluster's names: `stats:crawler:<host>:<spiderid>:<status>`
 * for the response codes in `STATS_RESPONSE_CODES` (when `STATS_STATUS_CODES` is on; a download
 * that got no response counts as 504, like Scrapy Cluster's LogRetryMiddleware) and
 * `…:fail` for requests given up, `…:refused_network` / `…:refused_robots` for requests the
 * network guard or robots.txt refused. Counted in memory and written by the loop's maintenance
 * through a {@linkcode BufferedCounter}, which keeps what Redis did not take.
 *
 * @module
 */

import { BufferedCounter, type StatsWriter } from "../../../lib/stats/mod.ts";

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

  /** Counts not written yet, by stat name. */
  pending(): Map<string, number> {
    return this.#counter.pending();
  }

  /** Writes what was counted; false when Redis did not take it (it is kept). */
  flush(): Promise<boolean> {
    return this.#counter.flush();
  }
}
