/**
 * Redis connections from settings: `REDIS_URL` wins over host/port/db/password. Connecting
 * fails early with one clear line; once connected, dropped connections are retried with
 * backoff by ioredis and never crash a component.
 *
 * @module
 */

import { TimeoutError, withTimeout } from "../async/timeout.ts";
import { Redis, type RedisOptions } from "ioredis";
import { float, int, optStr, str } from "../config/parsers.ts";

/** Redis connection settings shared by every component that talks to Redis. */
export const REDIS_SETTINGS = {
  REDIS_HOST: str("localhost", "Redis host name", { nonEmpty: true }),
  REDIS_PORT: int(6379, "Redis port", { min: 1, max: 65535 }),
  REDIS_DB: int(0, "Redis database number", { min: 0 }),
  REDIS_PASSWORD: optStr("Redis password (none by default)"),
  REDIS_URL: optStr(
    "redis://user:pass@host:port/db (rediss:// for TLS); overrides host/port/db/password",
  ),
  REDIS_SOCKET_TIMEOUT: float(10, "Redis socket timeout in seconds", { exclusiveMin: 0 }),
};

/** The loaded {@linkcode REDIS_SETTINGS} every component has. */
export interface RedisSettings {
  readonly REDIS_HOST: string;
  readonly REDIS_PORT: number;
  readonly REDIS_DB: number;
  readonly REDIS_PASSWORD: string | null;
  readonly REDIS_URL: string | null;
  readonly REDIS_SOCKET_TIMEOUT: number;
}

/** Where a Redis connection goes, for messages ("127.0.0.1:6379/0"); never shows a password. */
export function describeRedis(s: RedisSettings): string {
  if (s.REDIS_URL) {
    try {
      const url = new URL(s.REDIS_URL);
      return `${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : "/0"}`;
    } catch {
      return "(invalid REDIS_URL)";
    }
  }
  return `${s.REDIS_HOST}:${s.REDIS_PORT}/${s.REDIS_DB}`;
}

/** ioredis options for the settings (the URL, if any, is passed separately). */
export function redisOptions(s: RedisSettings, name: string): RedisOptions {
  return {
    connectionName: name,
    lazyConnect: true,
    // Commands wait for a reconnect instead of failing after 20 attempts: a Redis restart
    // pauses the component; it does not kill it.
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    commandTimeout: s.REDIS_SOCKET_TIMEOUT * 1000,
    connectTimeout: s.REDIS_SOCKET_TIMEOUT * 1000,
    ...(s.REDIS_URL ? {} : {
      host: s.REDIS_HOST,
      port: s.REDIS_PORT,
      db: s.REDIS_DB,
      password: s.REDIS_PASSWORD ?? undefined,
    }),
  };
}

/** Creates a client without connecting. */
export function createRedis(s: RedisSettings, name: string): Redis {
  const opts = redisOptions(s, name);
  const client = s.REDIS_URL ? new Redis(s.REDIS_URL, opts) : new Redis(opts);
  // ioredis emits 'error' on every failed reconnect; unhandled, it would crash the process.
  client.on("error", () => {});
  return client;
}

/**
 * Connects and pings once, failing after `timeoutMs` with
 * "Cannot connect to Redis at host:port/db: <reason>".
 */
export async function connectRedis(
  s: RedisSettings,
  name: string,
  opts: { timeoutMs?: number } = {},
): Promise<Redis> {
  const client = createRedis(s, name);
  let lastError: unknown = null;
  const onError = (err: unknown) => lastError = err;
  client.on("error", onError);
  const timeoutMs = opts.timeoutMs ?? s.REDIS_SOCKET_TIMEOUT * 1000;
  try {
    await withTimeout(client.connect().then(() => client.ping()), timeoutMs, {
      message: `no answer in ${timeoutMs} ms`,
    }).catch((err) => {
      // Out of time: the last connection error says more than the timeout itself.
      throw err instanceof TimeoutError && lastError !== null ? lastError : err;
    });
    return client;
  } catch (err) {
    client.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot connect to Redis at ${describeRedis(s)}: ${reason}`);
  } finally {
    client.off("error", onError);
  }
}

/** Closes a client: QUIT when connected, otherwise just drop it. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === "ready") {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
