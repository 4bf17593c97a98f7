/**
 * The crawler's metrics, labelled by spider type (and status class or refusal reason: small
 * fixed sets, never a URL, domain or crawl). {@linkcode SpiderMetrics} binds the label values
 * once per crawler, so counting a page is an increment, with no allocation.
 *
 * @module
 */

import { Counter, Gauge, Histogram } from "prom-client";
import { METRIC_PREFIX, metricGroup, type Registry } from "./registry.ts";

const p = METRIC_PREFIX;

/** The crawler's metric definitions in a registry (built once per registry). */
export const crawlerMetrics = metricGroup((registry) => {
  const registers = [registry];
  return {
    pages: new Counter({
      name: `${p}pages_fetched_total`,
      help: "Downloads by spider and status class (2xx…5xx; error: no response).",
      labelNames: ["spider", "status_class"] as const,
      registers,
    }),
    bytes: new Counter({
      name: `${p}downloaded_bytes_total`,
      help: "Bytes of response bodies downloaded, by spider.",
      labelNames: ["spider"] as const,
      registers,
    }),
    latency: new Histogram({
      name: `${p}fetch_duration_seconds`,
      help: "Time to download a page (or fail to), by spider.",
      labelNames: ["spider"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    items: new Counter({
      name: `${p}items_produced_total`,
      help: "Result items published to Kafka (pages and error items), by spider.",
      labelNames: ["spider"] as const,
      registers,
    }),
    retries: new Counter({
      name: `${p}retries_total`,
      help: "Requests put back to be fetched again, by spider.",
      labelNames: ["spider"] as const,
      registers,
    }),
    refusals: new Counter({
      name: `${p}refusals_total`,
      help: "Requests never fetched, by spider and reason (guard: network guard; robots).",
      labelNames: ["spider", "reason"] as const,
      registers,
    }),
    throttleWaits: new Counter({
      name: `${p}throttle_waits_total`,
      help: "Pops that found no request ready (domains throttled or nothing pending), by spider.",
      labelNames: ["spider"] as const,
      registers,
    }),
    leaseReclaims: new Counter({
      name: `${p}lease_reclaims_total`,
      help: "Requests put back from leases of dead crawlers or expired leases, by spider.",
      labelNames: ["spider"] as const,
      registers,
    }),
    backlog: new Gauge({
      name: `${p}queue_backlog_requests`,
      help: "Requests pending in the frontier, by spider (sampled every few seconds).",
      labelNames: ["spider"] as const,
      registers,
    }),
    backlogDomains: new Gauge({
      name: `${p}queue_backlog_domains`,
      help: "Domains with requests pending, by spider (sampled every few seconds).",
      labelNames: ["spider"] as const,
      registers,
    }),
    leased: new Gauge({
      name: `${p}leased_requests`,
      help: "Requests leased to crawlers and not yet acknowledged, by spider (sampled).",
      labelNames: ["spider"] as const,
      registers,
    }),
  };
});

type Child<M extends { labels: (...v: string[]) => unknown }> = ReturnType<M["labels"]>;
type Defs = ReturnType<typeof crawlerMetrics>;

/** The status class label of an HTTP status. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "error";
}

const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "error"] as const;

/** One spider type's metrics with their labels bound: what the crawler's hooks call. */
export class SpiderMetrics {
  readonly #pages: Record<string, Child<Defs["pages"]>>;
  readonly #bytes: Child<Defs["bytes"]>;
  readonly #latency: Child<Defs["latency"]>;
  readonly #items: Child<Defs["items"]>;
  readonly #retries: Child<Defs["retries"]>;
  readonly #guard: Child<Defs["refusals"]>;
  readonly #robots: Child<Defs["refusals"]>;
  readonly #waits: Child<Defs["throttleWaits"]>;
  readonly #reclaims: Child<Defs["leaseReclaims"]>;

  constructor(readonly spiderid: string, registry?: Registry) {
    const m = crawlerMetrics(registry);
    this.#pages = Object.fromEntries(CLASSES.map((c) => [c, m.pages.labels(spiderid, c)]));
    this.#bytes = m.bytes.labels(spiderid);
    this.#latency = m.latency.labels(spiderid);
    this.#items = m.items.labels(spiderid);
    this.#retries = m.retries.labels(spiderid);
    this.#guard = m.refusals.labels(spiderid, "guard");
    this.#robots = m.refusals.labels(spiderid, "robots");
    this.#waits = m.throttleWaits.labels(spiderid);
    this.#reclaims = m.leaseReclaims.labels(spiderid);
  }

  /** A download that got a response. */
  fetched(status: number, bytes: number, seconds: number): void {
    this.#pages[statusClass(status)].inc();
    this.#bytes.inc(bytes);
    this.#latency.observe(seconds);
  }

  /** A download that got no response (timeout, refused connection, …). */
  fetchFailed(seconds: number): void {
    this.#pages.error.inc();
    this.#latency.observe(seconds);
  }

  item(): void {
    this.#items.inc();
  }

  retry(): void {
    this.#retries.inc();
  }

  refused(refusal: "network" | "robots"): void {
    (refusal === "robots" ? this.#robots : this.#guard).inc();
  }

  throttleWait(): void {
    this.#waits.inc();
  }

  reclaimed(requests: number): void {
    if (requests > 0) this.#reclaims.inc(requests);
  }
}
