/**
 * Prometheus metrics (prom-client): one registry per process, served at `/metrics` when
 * `METRICS_PORT` is set (`startMetrics`), the process's own metrics, and the metric groups each
 * component counts with — crawler (`SpiderMetrics`, the backlog sampler), kafka-monitor, REST,
 * webhook. Every name starts with `crawl_cluster_`; labels are small fixed sets, never a URL,
 * domain or crawl id.
 *
 * @module
 */

export * from "./registry.ts";
export * from "./settings.ts";
export * from "./server.ts";
export * from "./component.ts";
export * from "./process_metrics.ts";
export * from "./crawler_metrics.ts";
export * from "./backlog_sampler.ts";
export * from "./kafka_monitor_metrics.ts";
export * from "./rest_metrics.ts";
export * from "./webhook_metrics.ts";
export * from "./names.ts";
