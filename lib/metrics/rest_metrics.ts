/**
 * REST's metrics: every answer by route (the router's names, `none` for an unknown path, a
 * fixed set) and status code.
 *
 * @module
 */

import { Counter } from "prom-client";
import { METRIC_PREFIX, metricGroup } from "./registry.ts";

/** REST's metric definitions (built once per registry). */
export const restMetrics = metricGroup((registry) => ({
  requests: new Counter({
    name: `${METRIC_PREFIX}rest_requests_total`,
    help: "REST answers by route (none: unknown path) and HTTP status code.",
    labelNames: ["route", "code"] as const,
    registers: [registry],
  }),
}));
