/**
 * Request counters for the Stats API: every answer counts for its route (null when no route
 * matched), as a failure when its status is 400 or more.
 *
 * @module
 */

import type { RequestCounter } from "../stats.ts";
import { type Middleware, passThrough } from "./compose.ts";

/** Counts every answer of `next` with `counter`; nothing without a counter. */
export function countRequests(counter: RequestCounter | undefined): Middleware {
  if (counter === undefined) return passThrough;
  return (next) => async (req, ctx) => {
    const res = await next(req, ctx);
    counter.count(ctx.route, res.status >= 400);
    return res;
  };
}
