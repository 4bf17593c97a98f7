/**
 * The stats and heartbeat settings, with Scrapy Cluster's names and defaults: which counters
 * are kept (`STATS_TOTAL`, `STATS_PLUGINS`), their rolling windows (`STATS_TIMES`, see
 * `collector.ts`), how often they are dumped to the log (`STATS_DUMP`, see `dump.ts`) and how
 * long a process's heartbeat key lives (`HEARTBEAT_TIMEOUT`, see `heartbeat.ts`). Components
 * take the rows they read.
 *
 * @module
 */

import { bool, compat, int, list } from "../config/parsers.ts";

/** Stats settings of the monitors; the crawler and the rest service pick rows from it. */
export const STATS_SETTINGS = {
  STATS_TOTAL: bool(true, "count total and failed messages"),
  STATS_PLUGINS: bool(true, "count messages per plugin"),
  STATS_CYCLE: compat(
    int(5, "seconds between stats cleanup cycles", { min: 1 }),
    "has no effect: windows are trimmed as they are written",
  ),
  STATS_DUMP: int(60, "seconds between stats dumps to the log (0 disables)", { min: 0 }),
  STATS_TIMES: list(
    [
      "SECONDS_15_MINUTE",
      "SECONDS_1_HOUR",
      "SECONDS_6_HOUR",
      "SECONDS_12_HOUR",
      "SECONDS_1_DAY",
      "SECONDS_1_WEEK",
    ],
    "rolling time windows kept for stats",
  ),
};

/** How long the `stats:<component>:self:…` heartbeat key of a process lives. */
export const HEARTBEAT_SETTINGS = {
  HEARTBEAT_TIMEOUT: int(120, "seconds after which a silent process counts as gone", { min: 1 }),
};
