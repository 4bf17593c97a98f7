/**
 * The rest service as small wrappers around one handler, as in hono: a {@linkcode Handler}
 * takes the request and a per-request {@linkcode Context}; a {@linkcode Middleware} takes the
 * next handler and returns one that does something before, after or instead of it.
 * {@linkcode compose} stacks them, the first outermost.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compose, type Middleware, newContext } from "./compose.ts";
 *
 * const tag = (name: string): Middleware => (next) => async (req, ctx) => {
 *   const res = await next(req, ctx);
 *   res.headers.append("x-order", name);
 *   return res;
 * };
 * const handler = compose(tag("outer"), tag("inner"))(() => Promise.resolve(new Response("ok")));
 * const res = await handler(new Request("http://x/"), newContext());
 * assert.equal(res.headers.get("x-order"), "inner, outer");
 * ```
 *
 * @module
 */

import type { Scope } from "../auth.ts";

/** What the wrappers and the routes share about one request. */
export interface Context {
  /** Aborts when the request must stop (the deadline passed); never aborts by default. */
  readonly signal: AbortSignal;
  /** The matched route's name, for the request counters; null when none matched. */
  route: string | null;
  /** Where the request is, so a deadline tells a slow body (408) from slow processing (503). */
  phase: "body" | "process";
  /** The scopes of the request's API key; absent when no key was checked (every scope). */
  scopes?: ReadonlySet<Scope>;
}

/** Answers one request. */
export type Handler = (req: Request, ctx: Context) => Promise<Response>;

/** Wraps a handler. */
export type Middleware = (next: Handler) => Handler;

/** The context a request starts with. */
export function newContext(): Context {
  return { signal: new AbortController().signal, route: null, phase: "body" };
}

/** One middleware doing what `middleware` do, the first outermost. */
export function compose(...middleware: Middleware[]): Middleware {
  return (next) => middleware.reduceRight((inner, wrap) => wrap(inner), next);
}

/** A middleware that changes nothing (a wrapper that is switched off). */
export const passThrough: Middleware = (next) => next;
