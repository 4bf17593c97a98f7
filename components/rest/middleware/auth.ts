/**
 * API-key authentication and per-key scopes as wrappers (see `../auth.ts` for how keys are
 * compared and what each scope allows): without a valid key the route answers `401` with
 * `WWW-Authenticate`; a valid key without the scope a request needs gets `403` naming it.
 *
 * @module
 */

import { apiKeyCheck, parseApiKeys, type Scope } from "../auth.ts";
import { HttpError, MESSAGES } from "../errors.ts";
import { type Context, type Middleware, passThrough } from "./compose.ts";

/**
 * Requires one of the keys of `entries` (`REST_API_KEYS`) and records its scopes in the
 * context; lets everything through when there are none.
 */
export function requireApiKey(entries: readonly string[]): Middleware {
  const check = apiKeyCheck(parseApiKeys(entries));
  if (check === null) return passThrough;
  return (next) => async (req, ctx) => {
    const scopes = check(req);
    if (scopes === null) {
      throw new HttpError(401, MESSAGES.unauthorized, {
        headers: { "www-authenticate": 'Bearer realm="crawl-cluster"' },
      });
    }
    ctx.scopes = scopes;
    return await next(req, ctx);
  };
}

/**
 * Throws `403` unless the request's key has `scope` (no key checked: every scope). `what`
 * names the request in the cause ("action 'stop'").
 */
export function checkScope(ctx: Context, scope: Scope, what: string): void {
  if (!ctx.scopes || ctx.scopes.has(scope)) return;
  throw new HttpError(403, MESSAGES.scope, {
    detail: `missing scope '${scope}': ${what} needs it, and this API key has ` +
      (ctx.scopes.size === 0 ? "none" : [...ctx.scopes].map((s) => `'${s}'`).join(", ")),
  });
}

/** A route wrapper that requires `scope` of the key (after {@linkcode requireApiKey}). */
export function requireScope(scope: Scope, what: string): Middleware {
  return (next) => (req, ctx) => {
    checkScope(ctx, scope, what);
    return next(req, ctx);
  };
}
