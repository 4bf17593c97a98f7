/**
 * The request timeout (`REQUEST_TIMEOUT`) as a wrapper: the route gets a context whose signal
 * aborts when the time is up, and the answer is then `408` while the body still arrives
 * (`ctx.phase === "body"`), `503` after. (`req.signal` is not used: under `Deno.serve` it also
 * aborts after every successful response.)
 *
 * @module
 */

import { HttpError, MESSAGES } from "../errors.ts";
import type { Context, Middleware } from "./compose.ts";

/** Answers 408 or 503 when `next` takes more than `timeoutMs`. */
export function deadline(timeoutMs: number): Middleware {
  return (next) => async (req, outer) => {
    const controller = new AbortController();
    const ctx: Context = {
      ...outer,
      signal: AbortSignal.any([outer.signal, controller.signal]),
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          ctx.phase === "body"
            ? new HttpError(408, MESSAGES.bodyTimeout)
            : new HttpError(503, MESSAGES.timeout),
        );
        controller.abort();
      }, timeoutMs);
    });
    try {
      const handled = Promise.resolve().then(() => next(req, ctx));
      handled.catch(() => {}); // may still fail after the timeout answered
      return await Promise.race([handled, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
}
