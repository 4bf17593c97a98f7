/**
 * The rest gateway under load: a kafka-monitor and a rest instance as subprocesses on the
 * bench's services, crawl requests posted to `/feed` over keep-alive connections.
 *
 * @module
 */

import { benchFeed, type BenchFeedFigures } from "../../components/rest/bench.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import { startComponent } from "../processes.ts";

/** Figures of one `/feed` load run. */
export interface RestFigures extends BenchFeedFigures {
  requests: number;
  concurrency: number;
}

/** Runs the load against fresh rest and kafka-monitor processes on `env`'s services. */
export async function restBench(
  env: Record<string, string>,
  opts: { requests?: number; concurrency?: number; say?: (line: string) => void } = {},
): Promise<RestFigures> {
  const port = freePort();
  const prefix = `bench${crypto.randomUUID().slice(0, 6)}`;
  const childEnv = {
    ...env,
    REST_PORT: String(port),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_INCOMING_TOPIC: `${prefix}.incoming`,
    LOG_LEVEL: "WARNING",
  };
  const monitor = startComponent("kafka-monitor", ["run"], childEnv);
  const rest = startComponent("rest", ["run"], childEnv);
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (true) {
      try {
        const health = await (await fetch(url)).json();
        if (health.node_health === "GREEN") break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error("Cannot bench rest: it did not become GREEN");
      await new Promise((r) => setTimeout(r, 200));
    }
    const requests = opts.requests ?? 20_000;
    const concurrency = opts.concurrency ?? 64;
    opts.say?.(`rest: ${requests} crawl requests to /feed, ${concurrency} at a time`);
    return { ...(await benchFeed({ url, requests, concurrency })), requests, concurrency };
  } finally {
    await Promise.all([rest.stop(), monitor.stop()]);
  }
}

/** The report line. */
export function formatRest(f: RestFigures): string {
  return `rest /feed: ${f.rps.toFixed(0)} requests/s at concurrency ${f.concurrency}, ` +
    `p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms, ${f.errors} errors`;
}
