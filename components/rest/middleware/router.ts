/**
 * Routing by exact path: each route is a name (for the request counters and logs) and its
 * handler, usually wrapped in the route's own middleware. An unknown path is `404`.
 *
 * @module
 */

import { HttpError, MESSAGES } from "../errors.ts";
import type { Handler } from "./compose.ts";

/** A named route. */
export interface Route {
  readonly name: string;
  readonly handler: Handler;
}

/** The handler dispatching on `routes` (path → route); it records the route in the context. */
export function router(routes: Readonly<Record<string, Route>>): Handler {
  const table = new Map(Object.entries(routes));
  return async (req, ctx) => {
    const route = table.get(new URL(req.url).pathname);
    if (route === undefined) throw new HttpError(404, MESSAGES.notFound);
    ctx.route = route.name;
    return await route.handler(req, ctx);
  };
}
