/**
 * Secured Redis connections: TLS (`rediss://` in `REDIS_URL`, or any `REDIS_TLS_*` file) and ACL
 * users (`REDIS_USERNAME`, or the user in `REDIS_URL`), for plain and cluster clients alike.
 *
 * The PEM files are read when a client is made, i.e. at start: a missing or unreadable file stops
 * the component with one line naming the setting. A server whose certificate the CA does not
 * vouch for, or a refused user/password, fails the first connection with one line
 * ({@linkcode explainRedisFailure} adds what to check).
 *
 * @module
 */

import type { ConnectionOptions } from "node:tls";
import { optStr } from "../config/parsers.ts";

/** Settings of a secured connection, shared by every component that talks to Redis. */
export const REDIS_SECURITY_SETTINGS = {
  REDIS_USERNAME: optStr(
    "Redis ACL user (none: 'default'); the user in REDIS_URL wins over it",
  ),
  REDIS_TLS_CA: optStr(
    "PEM file of the CA that signed the Redis server's certificate; any REDIS_TLS_* turns TLS on",
  ),
  REDIS_TLS_CERT: optStr(
    "PEM file of this client's certificate, for a server that asks for one (with REDIS_TLS_KEY)",
  ),
  REDIS_TLS_KEY: optStr("PEM file of the private key of REDIS_TLS_CERT"),
};

/** The loaded {@linkcode REDIS_SECURITY_SETTINGS}; absent means unset. */
export interface RedisSecuritySettings {
  readonly REDIS_URL: string | null;
  readonly REDIS_USERNAME?: string | null;
  readonly REDIS_TLS_CA?: string | null;
  readonly REDIS_TLS_CERT?: string | null;
  readonly REDIS_TLS_KEY?: string | null;
}

/** True when connections use TLS: a `rediss://` URL or any `REDIS_TLS_*` file. */
export function redisUsesTls(s: RedisSecuritySettings): boolean {
  return Boolean(
    s.REDIS_URL?.startsWith("rediss://") || s.REDIS_TLS_CA || s.REDIS_TLS_CERT ||
      s.REDIS_TLS_KEY,
  );
}

/**
 * The TLS options of the settings (undefined without TLS), with the PEM files read now. Throws
 * "Cannot read REDIS_TLS_CA '<path>': <reason>" (one line) when a file cannot be read, and
 * "Cannot use REDIS_TLS_CERT without REDIS_TLS_KEY" (or the reverse).
 */
export function redisTlsOptions(s: RedisSecuritySettings): ConnectionOptions | undefined {
  if (!redisUsesTls(s)) return undefined;
  if (Boolean(s.REDIS_TLS_CERT) !== Boolean(s.REDIS_TLS_KEY)) {
    throw new Error(
      s.REDIS_TLS_CERT
        ? "Cannot use REDIS_TLS_CERT without REDIS_TLS_KEY (the certificate's private key)"
        : "Cannot use REDIS_TLS_KEY without REDIS_TLS_CERT (the key's certificate)",
    );
  }
  const tls: ConnectionOptions = {};
  if (s.REDIS_TLS_CA) tls.ca = _readPem("REDIS_TLS_CA", s.REDIS_TLS_CA);
  if (s.REDIS_TLS_CERT) tls.cert = _readPem("REDIS_TLS_CERT", s.REDIS_TLS_CERT);
  if (s.REDIS_TLS_KEY) tls.key = _readPem("REDIS_TLS_KEY", s.REDIS_TLS_KEY);
  return tls;
}

/** `REDIS_USERNAME` when set; a user in `REDIS_URL` wins over it (ioredis reads the URL first). */
export function redisUsername(s: RedisSecuritySettings): string | undefined {
  return s.REDIS_USERNAME || undefined;
}

/**
 * The reason of a failed first connection, with what to check when it is a refused user or
 * password, or a TLS failure (the raw reasons name neither the settings nor TLS).
 */
export function explainRedisFailure(reason: string, s: RedisSecuritySettings): string {
  if (/WRONGPASS|NOAUTH|invalid username-password|AUTH failed/i.test(reason)) {
    return `${reason} (check the user and password: REDIS_USERNAME/REDIS_PASSWORD or REDIS_URL)`;
  }
  if (/NOPERM/.test(reason)) {
    return `${reason} (the Redis ACL user lacks a command or key this component needs; see ` +
      `README "Securing a cluster")`;
  }
  if (redisUsesTls(s) && !/\bTLS\b/.test(reason)) {
    return `TLS: ${reason} (check REDIS_TLS_CA/REDIS_TLS_CERT/REDIS_TLS_KEY and that the ` +
      `server speaks TLS on that port)`;
  }
  return reason;
}

function _readPem(name: string, path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new Error(`Cannot read ${name} '${path}': ${reason}`);
  }
}
