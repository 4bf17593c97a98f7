/**
 * CORS as a wrapper (see `../cors.ts` for the policy): every answer to an allowed origin gets
 * `Access-Control-Allow-Origin`, errors included, and an `OPTIONS` answer naming the allowed
 * methods (`204` with `Allow`, from {@linkcode allowMethods}) becomes a preflight answer.
 *
 * @module
 */

import { createCors } from "../cors.ts";
import { type Middleware, passThrough } from "./compose.ts";

/** CORS for `origins`; no headers at all when the list is empty. */
export function cors(origins: readonly string[]): Middleware {
  const policy = createCors(origins);
  if (policy === null) return passThrough;
  return (next) => async (req, ctx) => {
    const res = await next(req, ctx);
    const allow = res.headers.get("allow");
    const headers = req.method === "OPTIONS" && res.status === 204 && allow !== null
      ? policy.preflightHeaders(req, allow.split(/\s*,\s*/))
      : policy.headers(req);
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
    return res;
  };
}
