/**
 * The methods a route accepts: `OPTIONS` is answered `204` with `Allow` (before any key is
 * asked for, so browsers can preflight), any other method not listed gets `405`.
 *
 * @module
 */

import { HttpError, MESSAGES } from "../errors.ts";
import type { Middleware } from "./compose.ts";

/** Lets only `methods` through to the route. */
export function allowMethods(methods: readonly string[]): Middleware {
  const allow = [...methods, "OPTIONS"].join(", ");
  return (next) => async (req, ctx) => {
    if (req.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { allow } });
    }
    if (!methods.includes(req.method)) {
      throw new HttpError(405, MESSAGES.method, { headers: { allow } });
    }
    return await next(req, ctx);
  };
}
