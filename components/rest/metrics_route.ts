/**
 * Prometheus for REST: `GET /metrics` (the process's registry: REST's request counters and the
 * process metrics) behind the same key check as `/poll` — a valid key of any scope when
 * `REST_API_KEYS` is set, the `Host` check otherwise — and the middleware counting every answer
 * by route (the router's names; `none` for an unknown path) and status code.
 *
 * @module
 */

import {
  metricsResponse,
  processMetrics,
  processRegistry,
  restMetrics,
} from "../../lib/metrics/mod.ts";
import { type Handler, type Middleware, passThrough, type Route } from "./middleware/mod.ts";

/** How `app.ts` wraps a route: name, methods, key check (null: no key), handler. */
type RouteWrapper = (
  name: string,
  methods: string[],
  auth: Middleware | null,
  handler: Handler,
) => Route;

/** The `/metrics` route, wrapped like every other route. */
export function metricsRoutes(route: RouteWrapper): Record<string, Route> {
  const registry = processRegistry();
  processMetrics(registry);
  restMetrics(registry);
  const scrape: Handler = (req) => metricsResponse(registry, req.method);
  return { "/metrics": route("metrics", ["GET", "HEAD"], passThrough, scrape) };
}

/** Counts each answer by route and code (outermost but CORS, so refusals count too). */
export function countRouteMetrics(): Middleware {
  const requests = restMetrics().requests;
  return (next) => async (req, ctx) => {
    const res = await next(req, ctx);
    requests.labels(ctx.route ?? "none", String(res.status)).inc();
    return res;
  };
}
