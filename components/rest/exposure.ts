/**
 * The start-up check of who can reach the rest service: listening on an address other
 * machines can reach (`REST_HOST` `0.0.0.0`, a LAN address, a name) without `REST_API_KEYS`
 * lets anyone who reaches the port feed crawls, so the service refuses to start unless the
 * operator says so with `REST_ALLOW_NO_AUTH=true`. Without keys the `Host` check
 * (`middleware/host_check.ts`) stays on either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exposureRefusal } from "./exposure.ts";
 *
 * const safe = { REST_HOST: "127.0.0.1", REST_API_KEYS: [], REST_ALLOW_NO_AUTH: false };
 * assert.equal(exposureRefusal(safe), null);
 * assert.match(exposureRefusal({ ...safe, REST_HOST: "0.0.0.0" })!, /^Cannot start: REST_HOST/);
 * assert.equal(exposureRefusal({ ...safe, REST_HOST: "0.0.0.0", REST_API_KEYS: ["k"] }), null);
 * assert.equal(exposureRefusal({ ...safe, REST_HOST: "0.0.0.0", REST_ALLOW_NO_AUTH: true }), null);
 * ```
 *
 * @module
 */

/** The settings the check reads. */
export interface ExposureSettings {
  readonly REST_HOST: string;
  readonly REST_API_KEYS: readonly string[];
  readonly REST_ALLOW_NO_AUTH: boolean;
}

/**
 * Whether `hostname` is a loopback address or name only this machine reaches: `localhost`,
 * `127.0.0.0/8`, `::1`.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255);
}

/** The one-line reason the service must not start, or null when it may. */
export function exposureRefusal(settings: ExposureSettings): string | null {
  if (settings.REST_API_KEYS.length > 0 || settings.REST_ALLOW_NO_AUTH) return null;
  if (isLoopbackHostname(settings.REST_HOST)) return null;
  return `Cannot start: REST_HOST is ${settings.REST_HOST}, which other machines may reach, and ` +
    "REST_API_KEYS is empty; set REST_API_KEYS, or REST_ALLOW_NO_AUTH=true to serve without " +
    "keys on purpose";
}
