/**
 * How a component turns its metrics on: with `METRICS_PORT` set, the process metrics are
 * registered and `/metrics` is served on `METRICS_HOST:METRICS_PORT` until `signal` aborts.
 * One call at the start of each component's run function.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { processMetrics } from "./process_metrics.ts";
import { processRegistry, type Registry } from "./registry.ts";
import { type MetricsServer, serveMetrics } from "./server.ts";
import type { MetricsSettings } from "./settings.ts";

/** The server, or null when `METRICS_PORT` is 0 (or the settings have no metrics rows). */
export function startMetrics(
  settings: Partial<MetricsSettings>,
  opts: { signal: AbortSignal; log?: Logger; registry?: Registry },
): MetricsServer | null {
  if (!settings.METRICS_PORT) return null;
  const registry = opts.registry ?? processRegistry();
  processMetrics(registry);
  let server: MetricsServer;
  try {
    server = serveMetrics(registry, {
      hostname: settings.METRICS_HOST ?? "127.0.0.1",
      port: settings.METRICS_PORT,
      signal: opts.signal,
    });
  } catch (err) {
    // A taken port is a setting to fix, said in one line by the caller.
    throw new Error(
      `Cannot serve metrics on ${settings.METRICS_HOST}:${settings.METRICS_PORT} ` +
        `(METRICS_HOST, METRICS_PORT): ${(err as Error).message}`,
    );
  }
  opts.log?.info("Metrics at http://{hostname}:{port}/metrics", {
    hostname: server.hostname,
    port: server.port,
  });
  return server;
}
