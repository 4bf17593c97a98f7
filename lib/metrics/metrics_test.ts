import assert from "node:assert/strict";
import {
  allMetricNames,
  countIntake,
  crawlerMetrics,
  METRIC_PREFIX,
  metricGroup,
  processMetrics,
  Registry,
  rejectReason,
  serveMetrics,
  SpiderMetrics,
  startMetrics,
  statusClass,
  withWebhookMetrics,
} from "./mod.ts";
import { Counter } from "prom-client";

/** The value of one series in a text exposition, or undefined when it is not there. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("metricGroup builds a group once per registry", () => {
  const group = metricGroup((r) => ({
    c: new Counter({ name: "crawl_cluster_test_group_total", help: "t", registers: [r] }),
  }));
  const a = new Registry();
  const b = new Registry();
  assert.equal(group(a), group(a));
  assert.notEqual(group(a).c, group(b).c);
});

Deno.test("every metric name starts with crawl_cluster_ and counters end in _total", async () => {
  const registry = new Registry();
  processMetrics(registry);
  crawlerMetrics(registry);
  const names = allMetricNames();
  assert.ok(names.size > 15);
  for (const name of names) assert.ok(name.startsWith(METRIC_PREFIX), name);
  for (const metric of await registry.getMetricsAsJSON()) {
    if (String(metric.type) === "counter") assert.match(metric.name, /_total$/);
  }
});

Deno.test("SpiderMetrics counts pages by status class, bytes, latency and refusals", async () => {
  const registry = new Registry();
  const m = new SpiderMetrics("link", registry);
  m.fetched(200, 1000, 0.2);
  m.fetched(204, 24, 0.01);
  m.fetched(404, 10, 0.3);
  m.fetchFailed(5);
  m.refused("robots");
  m.refused("network");
  m.item();
  m.retry();
  m.reclaimed(0);
  m.reclaimed(3);
  const text = await registry.metrics();
  const p = METRIC_PREFIX;
  assert.equal(valueOf(text, `${p}pages_fetched_total{spider="link",status_class="2xx"}`), 2);
  assert.equal(valueOf(text, `${p}pages_fetched_total{spider="link",status_class="4xx"}`), 1);
  assert.equal(valueOf(text, `${p}pages_fetched_total{spider="link",status_class="error"}`), 1);
  assert.equal(valueOf(text, `${p}downloaded_bytes_total{spider="link"}`), 1034);
  assert.equal(valueOf(text, `${p}fetch_duration_seconds_count{spider="link"}`), 4);
  assert.equal(valueOf(text, `${p}fetch_duration_seconds_bucket{le="0.25",spider="link"}`), 2);
  assert.equal(valueOf(text, `${p}refusals_total{spider="link",reason="robots"}`), 1);
  assert.equal(valueOf(text, `${p}refusals_total{spider="link",reason="guard"}`), 1);
  assert.equal(valueOf(text, `${p}items_produced_total{spider="link"}`), 1);
  assert.equal(valueOf(text, `${p}retries_total{spider="link"}`), 1);
  assert.equal(valueOf(text, `${p}lease_reclaims_total{spider="link"}`), 3);
});

Deno.test("statusClass: 1xx…5xx, anything else is error", () => {
  assert.deepEqual([101, 200, 301, 418, 599, 0, 700].map(statusClass), [
    "1xx",
    "2xx",
    "3xx",
    "4xx",
    "5xx",
    "error",
    "error",
  ]);
});

Deno.test("rejectReason maps the classifier's verdicts to a fixed set", () => {
  const failed = { status: "failed" as const, reason: "x" };
  const base = { ok: false as const, cause: "x", rejections: [] };
  assert.equal(rejectReason(failed, { ...base, parsed: false, tooLarge: true }), "too_large");
  assert.equal(rejectReason(failed, { ...base, parsed: false }), "unparseable");
  assert.equal(rejectReason(failed, { ...base, parsed: true }), "invalid");
  assert.equal(
    rejectReason(failed, { ...base, parsed: true, unhandledKind: "stats" }),
    "no_handler",
  );
  assert.equal(rejectReason({ ...failed, plugin: "Scraper" }, null), "plugin_refused");
  assert.equal(rejectReason(failed, null), "redis_refused");
});

Deno.test("countIntake counts accepted by plugin and rejected by reason", async () => {
  countIntake(
    [{ status: "handled", plugin: "ScraperHandler" }, { status: "failed", reason: "bad" }],
    [null, { ok: false, cause: "bad", parsed: false, rejections: [] }],
  );
  const { processRegistry } = await import("./registry.ts");
  const text = await processRegistry().metrics();
  assert.ok(
    valueOf(text, `${METRIC_PREFIX}kafka_monitor_accepted_total{plugin="ScraperHandler"}`)! >= 1,
  );
  assert.ok(
    valueOf(text, `${METRIC_PREFIX}kafka_monitor_rejected_total{reason="unparseable"}`)! >= 1,
  );
});

Deno.test("withWebhookMetrics counts delivered items, failed posts and pauses", async () => {
  const seen: [string, number][] = [];
  const counter = withWebhookMetrics({ count: (name: string, n = 1) => void seen.push([name, n]) });
  const { processRegistry } = await import("./registry.ts");
  const before = await processRegistry().metrics();
  counter.count("delivered", 5);
  counter.count("failed");
  counter.count("total");
  const after = await processRegistry().metrics();
  const delta = (name: string) =>
    (valueOf(after, METRIC_PREFIX + name) ?? 0) - (valueOf(before, METRIC_PREFIX + name) ?? 0);
  assert.equal(delta("webhook_delivered_items_total"), 5);
  assert.equal(delta("webhook_failed_posts_total"), 1);
  assert.equal(delta("webhook_pauses_total"), 0);
  assert.deepEqual(seen, [["delivered", 5], ["failed", 1], ["total", 1]]);
});

Deno.test("serveMetrics serves /metrics in the text format, 404 elsewhere, 405 for POST", async () => {
  const registry = new Registry();
  new SpiderMetrics("link", registry).fetched(200, 10, 0.1);
  const server = serveMetrics(registry, { hostname: "127.0.0.1", port: 0 });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /# TYPE crawl_cluster_pages_fetched_total counter/);
    assert.equal(
      valueOf(text, 'crawl_cluster_pages_fetched_total{spider="link",status_class="2xx"}'),
      1,
    );
    const missing = await fetch(`${base}/other`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
  } finally {
    await server.close();
  }
});

Deno.test("startMetrics: off at port 0; on, it serves the process metrics until the signal", async () => {
  const stop = new AbortController();
  assert.equal(startMetrics({ METRICS_PORT: 0 }, { signal: stop.signal }), null);
  const registry = new Registry();
  // A free port: ask the OS, then give it back.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const server = startMetrics({ METRICS_PORT: port, METRICS_HOST: "127.0.0.1" }, {
    signal: stop.signal,
    registry,
  })!;
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  assert.ok(valueOf(text, "crawl_cluster_process_resident_memory_bytes")! > 0);
  assert.ok(valueOf(text, "crawl_cluster_process_cpu_seconds_total")! > 0);
  assert.ok(valueOf(text, "crawl_cluster_process_start_time_seconds")! > 1_600_000_000);
  stop.abort();
  await server.close();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
});
