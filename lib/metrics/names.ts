/**
 * Every metric name this project defines, read from a fresh registry with every group built
 * (for the dashboard test, and for anyone checking a query).
 *
 * @module
 */

import { crawlerMetrics } from "./crawler_metrics.ts";
import { kafkaMonitorMetrics } from "./kafka_monitor_metrics.ts";
import { processMetrics } from "./process_metrics.ts";
import { Registry } from "./registry.ts";
import { restMetrics } from "./rest_metrics.ts";
import { webhookMetrics } from "./webhook_metrics.ts";

/**
 * The names of every metric family, as Prometheus stores them: a histogram's `_bucket`, `_sum`
 * and `_count` series included.
 */
export function allMetricNames(): Set<string> {
  const registry = new Registry();
  processMetrics(registry);
  crawlerMetrics(registry);
  kafkaMonitorMetrics(registry);
  restMetrics(registry);
  webhookMetrics(registry);
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === "histogram") {
      for (const part of ["_bucket", "_sum", "_count"]) names.add(name + part);
    }
  }
  return names;
}
