/**
 * The process's own metrics: CPU seconds, resident and heap memory, start time. Read with Deno's
 * APIs when scraped, which need no permission; prom-client's `collectDefaultMetrics` reads
 * `/proc` (0 without `--allow-read` there) and Node's event-loop monitor (NaN under Deno).
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { Counter, Gauge } from "prom-client";
import { METRIC_PREFIX, metricGroup } from "./registry.ts";

const START_SECONDS = Date.now() / 1000 - performance.now() / 1000;

/** Registers the process metrics in a registry (once; later calls return the same). */
export const processMetrics = metricGroup((registry) => {
  let cpuSeenSec = 0;
  return {
    cpu: new Counter({
      name: `${METRIC_PREFIX}process_cpu_seconds_total`,
      help: "CPU time this process spent, user and system, in seconds.",
      registers: [registry],
      collect() {
        const { user, system } = cpuUsage();
        const total = (user + system) / 1e6;
        if (total > cpuSeenSec) this.inc(total - cpuSeenSec);
        cpuSeenSec = Math.max(cpuSeenSec, total);
      },
    }),
    rss: new Gauge({
      name: `${METRIC_PREFIX}process_resident_memory_bytes`,
      help: "Resident memory of this process in bytes.",
      registers: [registry],
      collect() {
        this.set(Deno.memoryUsage().rss);
      },
    }),
    heap: new Gauge({
      name: `${METRIC_PREFIX}process_heap_used_bytes`,
      help: "JavaScript heap in use in bytes.",
      registers: [registry],
      collect() {
        this.set(Deno.memoryUsage().heapUsed);
      },
    }),
    start: new Gauge({
      name: `${METRIC_PREFIX}process_start_time_seconds`,
      help: "When this process started, in seconds since the Unix epoch.",
      registers: [registry],
      collect() {
        this.set(Math.round(START_SECONDS));
      },
    }),
  };
});
