/**
 * The metrics settings every long-running component takes: where `/metrics` is served
 * (`METRICS_PORT`, 0 = not at all; `METRICS_HOST`). The crawler also takes
 * {@linkcode BACKLOG_SAMPLE_SETTINGS}.
 *
 * @module
 */

import { int, str } from "../config/parsers.ts";

/** `METRICS_PORT` and `METRICS_HOST`. */
export const METRICS_SETTINGS = {
  METRICS_PORT: int(0, "port serving Prometheus metrics at /metrics (0: off)", {
    min: 0,
    max: 65535,
  }),
  METRICS_HOST: str("127.0.0.1", "address the metrics port listens on", { nonEmpty: true }),
};

/** How often a crawler with metrics on samples its spider's queue backlog. */
export const BACKLOG_SAMPLE_SETTINGS = {
  METRICS_BACKLOG_INTERVAL: int(
    15,
    "seconds between samples of the queue backlog gauges (metrics on only)",
    { min: 1 },
  ),
};

/** The loaded metrics settings. */
export interface MetricsSettings {
  readonly METRICS_PORT: number;
  readonly METRICS_HOST: string;
}
