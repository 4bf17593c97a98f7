/**
 * `GET /metrics` in Prometheus's text format, on a port of its own (`Deno.serve`), and the
 * response itself for servers that route it among others (REST).
 *
 * @module
 */

import type { Registry } from "./registry.ts";

/** The answer to a scrape of `registry`. */
export async function metricsResponse(registry: Registry, method = "GET"): Promise<Response> {
  const body = await registry.metrics();
  return new Response(method === "HEAD" ? null : body, {
    headers: { "content-type": registry.contentType },
  });
}

/** A running metrics server. */
export interface MetricsServer {
  readonly hostname: string;
  /** The port it listens on (the one the OS chose when asked for 0). */
  readonly port: number;
  /** Stops listening; resolves once it has. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveMetrics}. */
export interface ServeMetricsOptions {
  hostname: string;
  /** 0: a free port the OS picks. */
  port: number;
  /** Stops the server when it aborts. */
  signal?: AbortSignal;
}

/** Serves `registry` at `/metrics`: 404 on other paths, 405 for methods but GET and HEAD. */
export function serveMetrics(registry: Registry, opts: ServeMetricsOptions): MetricsServer {
  const server = Deno.serve({
    hostname: opts.hostname,
    port: opts.port,
    signal: opts.signal,
    onListen: () => {},
  }, (req) => {
    if (new URL(req.url).pathname !== "/metrics") {
      return new Response("Not found: metrics are at /metrics\n", { status: 404 });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    return metricsResponse(registry, req.method);
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    close: async () => {
      await server.shutdown().catch(() => {});
      await server.finished;
    },
  };
}
