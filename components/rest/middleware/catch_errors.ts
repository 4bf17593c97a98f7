/**
 * The one place errors become answers: an {@linkcode HttpError} becomes its envelope, anything
 * else is logged with its stack and answered 500 without details.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { errorResponse, HttpError, MESSAGES } from "../errors.ts";
import type { Middleware } from "./compose.ts";

/** Turns every error of `next` into the `{data, error, status}` envelope. */
export function catchErrors(log: Logger): Middleware {
  return (next) => async (req, ctx) => {
    try {
      return await next(req, ctx);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err);
      log.error("Unexpected error on {method} {url}: {error}", {
        method: req.method,
        url: req.url,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      return errorResponse(new HttpError(500, MESSAGES.internal));
    }
  };
}
