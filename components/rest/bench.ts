/**
 * A local load generator for the rest service: `concurrency` workers POST crawl requests to
 * `/feed` over keep-alive connections (Deno's `fetch` pools them) until `requests` were
 * answered, and report the rate and the latency percentiles. Each request is acknowledged by
 * Kafka before it is answered, so this measures the whole ingest path up to the broker.
 *
 * The default requests name the spider type `bench`, which no crawler serves: they wait in
 * `bench:bench.example:queue` (when a kafka-monitor runs) and are never fetched. Remove them
 * with `redis-cli del bench:bench.example:queue` or a stop request for appid `bench`.
 *
 * ```sh
 * deno task run:rest &     # with the services and a kafka-monitor running
 * deno run --allow-net components/rest/bench.ts --url http://127.0.0.1:5343 --requests 20000
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Options of {@linkcode benchFeed}. */
export interface BenchFeedOptions {
  /** The rest service, e.g. `http://127.0.0.1:5343`. */
  url: string;
  /** Requests to time (after `concurrency` warm-up requests). */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The body of request `i`. @default a crawl request for spider type `bench` */
  request?: (i: number) => unknown;
  /** Extra headers, e.g. `{ "x-api-key": "…" }`. */
  headers?: Record<string, string>;
}

/** What {@linkcode benchFeed} measured. */
export interface BenchFeedFigures {
  /** Answered requests per second. */
  rps: number;
  /** Median latency in milliseconds. */
  p50Ms: number;
  /** 99th-percentile latency in milliseconds. */
  p99Ms: number;
  /** Requests not answered with 200 (they count in the rate and latencies all the same). */
  errors: number;
}

/** Sends `requests` crawl requests to `<url>/feed` and measures rate and latency. */
export async function benchFeed(opts: BenchFeedOptions): Promise<BenchFeedFigures> {
  const endpoint = new URL("/feed", opts.url).href;
  const run = crypto.randomUUID().slice(0, 8);
  const build = opts.request ?? ((i: number) => ({
    url: `http://bench.example/${run}/${i}`,
    appid: "bench",
    crawlid: `bench-${run}`,
    spiderid: "bench",
  }));
  const headers = { "content-type": "application/json", ...opts.headers };
  const send = async (i: number): Promise<{ ms: number; ok: boolean }> => {
    const t0 = performance.now();
    const res = await fetch(endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify(build(i)),
    });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, ok: res.status === 200 };
  };
  const concurrency = Math.max(1, Math.min(opts.concurrency, opts.requests));

  // Warm-up: open the connections and let the service's producer connect.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => send(-1 - i)));

  const latencies = new Float64Array(opts.requests);
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < opts.requests) {
      const i = next++;
      const { ms, ok } = await send(i);
      latencies[i] = ms;
      if (!ok) errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort();
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    rps: Math.round(opts.requests / seconds),
    p50Ms: Math.round(at(0.5) * 100) / 100,
    p99Ms: Math.round(at(0.99) * 100) / 100,
    errors,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      url: { type: "string", default: "http://127.0.0.1:5343" },
      requests: { type: "string", default: "10000" },
      concurrency: { type: "string", default: "64" },
    },
  });
  const figures = await benchFeed({
    url: values.url,
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
  });
  console.log(JSON.stringify(figures));
}
