import assert from "node:assert/strict";
import { allMetricNames } from "./mod.ts";

const DASHBOARD = new URL("../../docs/grafana-dashboard.json", import.meta.url);

/** Every PromQL expression of the dashboard: panel targets and template queries. */
function queriesOf(dashboard: {
  panels: { title: string; targets?: { expr: string }[] }[];
  templating?: { list: { query?: unknown }[] };
}): string[] {
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const variable of dashboard.templating?.list ?? []) {
    if (typeof variable.query === "string") exprs.push(variable.query);
  }
  return exprs;
}

Deno.test("the Grafana dashboard queries only metrics that exist", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const known = allMetricNames();
  const queried = new Set(
    queriesOf(dashboard).flatMap((q) =>
      [...q.matchAll(/\bcrawl_cluster_[a-z0-9_]+/g)].map((m) => m[0])
    ),
  );
  assert.ok(queried.size >= 15, `only ${queried.size} metrics queried`);
  const unknown = [...queried].filter((name) => !known.has(name));
  assert.deepEqual(unknown, []);
});

Deno.test("the Grafana dashboard has a panel for each main series", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const all = queriesOf(dashboard).join("\n");
  for (
    const name of [
      "pages_fetched_total",
      "queue_backlog_requests",
      "fetch_duration_seconds_bucket",
      "kafka_monitor_rejected_total",
      "rest_requests_total",
      "webhook_delivered_items_total",
      "process_resident_memory_bytes",
    ]
  ) assert.ok(all.includes(`crawl_cluster_${name}`), name);
});
