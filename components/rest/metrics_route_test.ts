import assert from "node:assert/strict";
import { createApp, type RestDeps } from "./app.ts";

function app(keys: string[]) {
  const deps: RestDeps = {
    settings: {
      WAIT_FOR_RESPONSE_TIME: 5,
      MAX_BODY_BYTES: 1024,
      REQUEST_TIMEOUT: 30,
      CORS_ALLOWED_ORIGINS: [],
      REST_API_KEYS: keys,
      MAXDEPTH_LIMIT: 3,
      REST_HOST: "127.0.0.1",
      REST_PORT: 5343,
    },
    plugins: [],
    feeder: { connected: true, send: () => Promise.resolve() },
    answers: { connected: true, expect: () => ({ answer: new Promise(() => {}), cancel() {} }) },
    polls: { connected: false, take: () => Promise.resolve(null) },
  };
  return createApp(deps);
}

const get = (path: string, key?: string) =>
  new Request(`http://127.0.0.1:5343${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });

function valueOf(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

Deno.test("REST GET /metrics: Prometheus text with the process metrics and REST's counters", async () => {
  const handler = app([]);
  const before = await (await handler(get("/metrics"))).text();
  await (await handler(get("/"))).body?.cancel();
  await (await handler(get("/nowhere"))).body?.cancel();
  const res = await handler(get("/metrics"));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const after = await res.text();
  const delta = (s: string) => valueOf(after, s) - valueOf(before, s);
  assert.equal(delta('crawl_cluster_rest_requests_total{route="index",code="200"}'), 1);
  assert.equal(delta('crawl_cluster_rest_requests_total{route="none",code="404"}'), 1);
  // The scrape before this one is counted too.
  assert.equal(delta('crawl_cluster_rest_requests_total{route="metrics",code="200"}'), 1);
  assert.ok(valueOf(after, "crawl_cluster_process_resident_memory_bytes") > 0);
});

Deno.test("REST /metrics needs a valid key of any scope when keys are set; POST is not served", async () => {
  const handler = app(["dash:poll", "boss"]);
  const anonymous = await handler(get("/metrics"));
  await anonymous.body?.cancel();
  assert.equal(anonymous.status, 401);
  const wrong = await handler(get("/metrics", "nope"));
  await wrong.body?.cancel();
  assert.equal(wrong.status, 401);
  const pollOnly = await handler(get("/metrics", "dash"));
  assert.equal(pollOnly.status, 200);
  assert.match(await pollOnly.text(), /# TYPE crawl_cluster_rest_requests_total counter/);
  const post = await handler(
    new Request("http://127.0.0.1:5343/metrics", {
      method: "POST",
      headers: { authorization: "Bearer boss" },
    }),
  );
  await post.body?.cancel();
  // Like `GET /feed`: a method of Scrapy Cluster's catch-all on a route without it is 404.
  assert.equal(post.status, 404);
});
