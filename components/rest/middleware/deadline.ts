/**
 * The request timeout (`REQUEST_TIMEOUT`) as a wrapper: the route gets a context whose signal
 * aborts when the time is up, and the answer is then `408` while the body still arrives
 * (`ctx.phase === "body"`), `503` after. (`req.signal` is not used: under `Deno.serve` it also
 * aborts after every successful response.)
 *
 * @module
 */

import { TimeoutError, withTimeout } from "../../../lib/async/mod.ts";
import { HttpError, MESSAGES } from "../errors.ts";
import type { Context, Middleware } from "./compose.ts";

/** Answers 408 or 503 when `next` takes more than `timeoutMs`. */
export function deadline(timeoutMs: number): Middleware {
  return (next) => async (req, outer) => {
    let ctx: Context = outer;
    try {
      return await withTimeout((signal) => {
        ctx = { ...outer, signal: AbortSignal.any([outer.signal, signal]) };
        return next(req, ctx);
      }, timeoutMs);
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      throw ctx.phase === "body"
        ? new HttpError(408, MESSAGES.bodyTimeout)
        : new HttpError(503, MESSAGES.timeout);
    }
  };
}
