/**
 * The methods a route accepts: `OPTIONS` is answered `204` with `Allow` (before any key is
 * asked for, so browsers can preflight), any other method not listed gets `405` — except the
 * methods Scrapy Cluster's catch-all route serves, which get `404` as there.
 *
 * @module
 */

import { HttpError, MESSAGES } from "../errors.ts";
import type { Middleware } from "./compose.ts";

/**
 * The methods of Scrapy Cluster's Flask catch-all route `/<path:path>` (GET and POST; Flask
 * adds HEAD to GET). Flask picks it when a route has the path but not the method, so `GET /feed`
 * is its 404 "The desired endpoint does not exist", while `PUT /feed` (no route has both) is 405.
 */
export const CATCH_ALL_METHODS: readonly string[] = Object.freeze(["GET", "HEAD", "POST"]);

/** Options of {@linkcode allowMethods}. */
export interface AllowMethodsOptions {
  /**
   * Methods the route lacks that answer 404 as an unknown endpoint (the request then counts
   * for no route, like one for an unknown path) instead of 405.
   * @default {[]}
   */
  notFoundFor?: readonly string[];
}

/** Lets only `methods` through to the route. */
export function allowMethods(
  methods: readonly string[],
  opts: AllowMethodsOptions = {},
): Middleware {
  const allow = [...methods, "OPTIONS"].join(", ");
  const notFoundFor = opts.notFoundFor ?? [];
  return (next) => async (req, ctx) => {
    if (req.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { allow } });
    }
    if (!methods.includes(req.method)) {
      if (notFoundFor.includes(req.method)) {
        ctx.route = null;
        throw new HttpError(404, MESSAGES.notFound);
      }
      throw new HttpError(405, MESSAGES.method, { headers: { allow } });
    }
    return await next(req, ctx);
  };
}
