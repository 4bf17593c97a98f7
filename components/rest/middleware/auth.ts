/**
 * API-key authentication as a wrapper (see `../auth.ts` for how keys are compared): without a
 * valid key the route answers `401` with `WWW-Authenticate`.
 *
 * @module
 */

import { apiKeyCheck } from "../auth.ts";
import { HttpError, MESSAGES } from "../errors.ts";
import { type Middleware, passThrough } from "./compose.ts";

/** Requires one of `keys`; lets everything through when there are none. */
export function requireApiKey(keys: readonly string[]): Middleware {
  const check = apiKeyCheck(keys);
  if (check === null) return passThrough;
  return (next) => async (req, ctx) => {
    if (!check(req)) {
      throw new HttpError(401, MESSAGES.unauthorized, {
        headers: { "www-authenticate": 'Bearer realm="crawl-cluster"' },
      });
    }
    return await next(req, ctx);
  };
}
