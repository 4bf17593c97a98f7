/**
 * The dashboard's routes: `/ui/` (the page), `/ui/app.js` and `/ui/app.css` (static files from
 * `ui/`, no build step), `/ui` redirecting to `/ui/`, and `GET /ui/api/state`, the JSON the page
 * polls every second (`ui_state.ts`, read at most once a second) plus `scopes`, what the
 * caller's key may do, so the page disables the controls it may not use. The static files need
 * no key (they hold no data); the state needs a valid key of any scope, as `/poll` does. The
 * page feeds, asks info and stops through `POST /feed`, where the scopes are enforced.
 *
 * @module
 */

import { SCOPES } from "./auth.ts";
import { HttpError, MESSAGES } from "./errors.ts";
import type { Handler, Middleware, Route } from "./middleware/mod.ts";
import { passThrough } from "./middleware/mod.ts";
import type { DashboardState } from "./ui_state.ts";

/** How `app.ts` wraps a route: name, methods, key check (null: no key), handler. */
export type RouteWrapper = (
  name: string,
  methods: string[],
  auth: Middleware | null,
  handler: Handler,
) => Route;

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/ui/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/ui/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/ui/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

/** The page's own files and this origin only: no inline script, no framing. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/**
 * The dashboard's routes, wrapped by `route`; without `state` (no Redis, as in unit tests of
 * the app) the state answers 404.
 */
export function uiRoutes(route: RouteWrapper, state?: DashboardState): Record<string, Route> {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const serveFile: Handler = async (req) => {
    const { file, type } = FILES[new URL(req.url).pathname];
    let body = cache.get(file);
    if (body === undefined) {
      body = await Deno.readFile(new URL(`./ui/${file}`, import.meta.url));
      cache.set(file, body);
    }
    const headers = { "content-type": type, ...SECURITY_HEADERS };
    return new Response(req.method === "HEAD" ? null : body, { headers });
  };
  const redirect: Handler = () =>
    Promise.resolve(new Response(null, { status: 308, headers: { location: "/ui/" } }));
  const readState: Handler = async (_req, ctx) => {
    if (state === undefined) throw new HttpError(404, MESSAGES.notFound);
    let snapshot;
    try {
      snapshot = await state.read();
    } catch {
      throw new HttpError(500, MESSAGES.redis);
    }
    const scopes = ctx.scopes ? [...ctx.scopes] : [...SCOPES];
    return Response.json({ ...snapshot, scopes }, {
      headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" },
    });
  };
  const files = Object.fromEntries(
    Object.keys(FILES).map((path) => [path, route("ui", ["GET", "HEAD"], null, serveFile)]),
  );
  return {
    "/ui": route("ui", ["GET", "HEAD"], null, redirect),
    ...files,
    "/ui/api/state": route("ui-state", ["GET"], passThrough, readState),
  };
}
