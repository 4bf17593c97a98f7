/**
 * The `Host` check of a REST service without API keys: only requests addressed to the address
 * it listens on are answered — `localhost`, `127.0.0.1` or `[::1]` with its port, or exactly
 * `REST_HOST:REST_PORT` — others get `403` with the envelope. A browser always sends the name
 * it resolved, so a page on `evil.example` whose name is re-pointed to 127.0.0.1 (DNS
 * rebinding) reaches the port but is refused; a page cannot forge `Host`. With API keys the
 * check is off: the page does not know a key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostCheck, newContext } from "./mod.ts";
 *
 * const handler = hostCheck({ hostname: "127.0.0.1", port: 5343 })(() =>
 *   Promise.resolve(new Response("ok"))
 * );
 * const ok = await handler(new Request("http://localhost:5343/feed"), newContext());
 * assert.equal(await ok.text(), "ok");
 * await assert.rejects(
 *   handler(new Request("http://rebound.example:5343/feed"), newContext()),
 *   { status: 403 },
 * );
 * ```
 *
 * @module
 */

import { HttpError, MESSAGES } from "../errors.ts";
import { type Middleware, passThrough } from "./compose.ts";

/** The address the service listens on. */
export interface ListenAddress {
  /** `REST_HOST` (`0.0.0.0`, `127.0.0.1`, `::1`, a name, ...). */
  readonly hostname: string;
  /** `REST_PORT`; 0 (any free port) accepts any port. */
  readonly port: number;
}

const _LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The host names requests must be addressed to, lower-cased, without port: the loopback names
 * and `listen.hostname` (in brackets when it is an IPv6 address), unless that is a wildcard.
 */
export function acceptedHostNames(listen: ListenAddress): string[] {
  const own = _bracketed(listen.hostname.toLowerCase());
  const wildcard = own === "0.0.0.0" || own === "[::]";
  return wildcard || _LOOPBACK_NAMES.includes(own) ? _LOOPBACK_NAMES : [..._LOOPBACK_NAMES, own];
}

/**
 * Refuses requests whose `Host` header (or, without one, the request URL's host) is not one of
 * {@linkcode acceptedHostNames} with `listen.port` (port 80 may be left out, as browsers do).
 *
 * @param listen The address to accept, or null to accept every request (API keys are set).
 */
export function hostCheck(listen: ListenAddress | null): Middleware {
  if (listen === null) return passThrough;
  const names = new Set(acceptedHostNames(listen));
  const expected = [...names].map((n) => listen.port === 0 ? n : `${n}:${listen.port}`);
  return (next) => async (req, ctx) => {
    const host = req.headers.get("host") ?? new URL(req.url).host;
    if (!_accepted(host, names, listen.port)) {
      throw new HttpError(403, MESSAGES.host, {
        detail:
          `Host ${JSON.stringify(host.slice(0, 300))} is not ${
            expected.join(", ")
          }: without REST_API_KEYS, only requests addressed to this machine's loopback names or ` +
          `REST_HOST:REST_PORT are answered`,
      });
    }
    return await next(req, ctx);
  };
}

function _accepted(host: string, names: Set<string>, port: number): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (m === null || !names.has(m[1])) return false;
  if (port === 0) return true;
  return m[2] === undefined ? port === 80 : Number(m[2]) === port;
}

/** An IPv6 address in brackets, as it appears in a `Host` header; other names as they are. */
function _bracketed(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
