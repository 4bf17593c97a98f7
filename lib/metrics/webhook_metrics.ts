/**
 * The webhook component's metrics: items delivered, POSTs that failed, hooks paused after too
 * many failures in a row. Counted where its Stats API counters are (`delivered`, `failed`,
 * `paused`), by wrapping the counter those go to.
 *
 * @module
 */

import { Counter } from "prom-client";
import { METRIC_PREFIX, metricGroup } from "./registry.ts";

/** The webhook component's metric definitions (built once per registry). */
export const webhookMetrics = metricGroup((registry) => ({
  delivered: new Counter({
    name: `${METRIC_PREFIX}webhook_delivered_items_total`,
    help: "Items delivered to webhooks (a 2xx answer to their batch).",
    registers: [registry],
  }),
  failed: new Counter({
    name: `${METRIC_PREFIX}webhook_failed_posts_total`,
    help: "Webhook POSTs that failed (no answer, or not 2xx); their items are retried.",
    registers: [registry],
  }),
  paused: new Counter({
    name: `${METRIC_PREFIX}webhook_pauses_total`,
    help: "Webhooks paused after WEBHOOK_MAX_FAILURES failures in a row.",
    registers: [registry],
  }),
}));

/**
 * Makes `counter.count(name, n)` also count the webhook metrics; returns `counter`.
 */
export function withWebhookMetrics<C extends { count(name: string, n?: number): void }>(
  counter: C,
): C {
  const m = webhookMetrics();
  const count = counter.count.bind(counter);
  counter.count = (name: string, n = 1) => {
    count(name, n);
    if (name === "delivered") m.delivered.inc(n);
    else if (name === "failed") m.failed.inc(n);
    else if (name === "paused") m.paused.inc(n);
  };
  return counter;
}
