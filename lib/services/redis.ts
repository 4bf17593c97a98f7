/**
 * Redis connections from settings: `REDIS_URL` wins over host/port/db/password. Connecting
 * fails early with one clear line; once connected, dropped connections are retried with
 * backoff by ioredis (at most 1 s apart) and never crash a component; each outage is logged
 * once when it starts and once when it ends ({@linkcode OutageReporter}).
 *
 * TLS and ACL users (`REDIS_TLS_*`, `REDIS_USERNAME`) are `redis_security.ts`'s; they apply to
 * both kinds of client.
 *
 * With `REDIS_CLUSTER_NODES` set, every client is an ioredis `Cluster` (`redis_cluster.ts`)
 * under the same policy; code takes a {@linkcode RedisClient} (either kind), asks
 * {@linkcode isRedisCluster} where the two differ, and scans with {@linkcode scanKeys}, which
 * visits every master of a cluster.
 *
 * ## The client policy: a command reported failed is never executed later
 *
 * Every component's client is built by {@linkcode redisOptions}:
 *
 * - **No offline queue** (`enableOfflineQueue: false`): a command issued while the connection
 *   is not ready fails at once ("Stream isn't writeable …") and is never sent, not even after
 *   the reconnect. (ioredis's default queues it, and with `commandTimeout` it rejected the
 *   caller's promise yet sent the command on reconnect: a pop "failed" and ran anyway.)
 * - **No resend of unanswered commands** (`autoResendUnfulfilledCommands: false`) and
 *   **`maxRetriesPerRequest: 0`**: when the connection drops, the commands written to it and
 *   not yet answered are rejected at once, and never written again on the new connection.
 * - **`commandTimeout` = `REDIS_SOCKET_TIMEOUT`**: a command without an answer in time is
 *   rejected.
 *
 * What a rejection means, per kind of failure:
 *
 * - Rejected while disconnected (not written): the command did NOT run and never will.
 * - Rejected because the connection dropped, or by `commandTimeout`, after it was written: its
 *   outcome is UNKNOWN — Redis may have run it before the connection died (or, for a timeout,
 *   may still run it when a stalled server resumes). No client setting can rule that out.
 *
 * So callers decide, per kind of command, what they may replay (with `lib/async` `retry()`):
 *
 * - Idempotent writes — SET of a value (`rest:poll:<uuid>`, heartbeats, job answers), ZADD of a
 *   request whose member is the request itself, DEL, EXPIRE, reads — may simply be retried
 *   until Redis takes them (the kafka-monitor does so before it commits an offset; REST before
 *   it commits an answer's offset).
 * - Counters (stats INCR/HINCRBY) may be retried; a retry after an unknown outcome may count
 *   one event twice, which the stats tolerate.
 * - Non-idempotent state changes (a pop that leases a request, a lock takeover) must not be
 *   blindly replayed: they either carry a token that makes a second run a no-op, or their
 *   effect is recovered by the owner (leases expire and are reclaimed).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { TimeoutError, withTimeout } from "../async/timeout.ts";
import { type Cluster, Redis, type RedisOptions } from "ioredis";
import { OutageReporter } from "./outage.ts";
import {
  clusterOptions,
  clusterReady,
  createCluster,
  parseClusterNodes,
  pingMasters,
  reconnectDelay,
  watchCluster,
} from "./redis_cluster.ts";
import { float, int, optStr, str } from "../config/parsers.ts";
import {
  explainRedisFailure,
  REDIS_SECURITY_SETTINGS,
  type RedisSecuritySettings,
  redisTlsOptions,
  redisUsername,
  redisUsesTls,
} from "./redis_security.ts";

/** Redis connection settings shared by every component that talks to Redis. */
export const REDIS_SETTINGS = {
  REDIS_HOST: str("localhost", "Redis host name", { nonEmpty: true }),
  REDIS_PORT: int(6379, "Redis port", { min: 1, max: 65535 }),
  REDIS_DB: int(0, "Redis database number", { min: 0 }),
  REDIS_PASSWORD: optStr("Redis password (none by default); the password in REDIS_URL wins"),
  REDIS_URL: optStr(
    "redis://user:pass@host:port/db (rediss:// for TLS); overrides host/port/db",
  ),
  ...REDIS_SECURITY_SETTINGS,
  REDIS_SOCKET_TIMEOUT: float(10, "Redis socket timeout in seconds", { exclusiveMin: 0 }),
  REDIS_CLUSTER_NODES: optStr(
    "host:port,host:port,… of Redis Cluster nodes: use Redis Cluster (none: a single Redis)",
  ),
};

/** The loaded {@linkcode REDIS_SETTINGS} every component has. */
export interface RedisSettings extends RedisSecuritySettings {
  readonly REDIS_HOST: string;
  readonly REDIS_PORT: number;
  readonly REDIS_DB: number;
  readonly REDIS_PASSWORD: string | null;
  readonly REDIS_URL: string | null;
  readonly REDIS_SOCKET_TIMEOUT: number;
  /** Comma-separated `host:port` of Redis Cluster nodes; null/absent = a single Redis. */
  readonly REDIS_CLUSTER_NODES?: string | null;
}

/** A client of a single Redis or of a Redis Cluster; command calls are the same on both. */
export type RedisClient = Redis | Cluster;

/** True for a Redis Cluster client. */
export function isRedisCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** True when the client takes commands now (for a cluster: it and every master node). */
export function redisReady(client: RedisClient): boolean {
  return isRedisCluster(client) ? clusterReady(client) : client.status === "ready";
}

/**
 * Every key matching `pattern`, in batches, by SCAN (never KEYS): on a cluster over every master
 * node, since SCAN sees one node. A key may come twice if it moves between nodes meanwhile.
 */
export async function* scanKeys(
  client: RedisClient,
  pattern: string,
  count = 1000,
): AsyncGenerator<string[]> {
  const nodes = isRedisCluster(client) ? client.nodes("master") : [client];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
  }
}

/**
 * Where a Redis connection goes, for messages ("127.0.0.1:6379/0", "cluster 127.0.0.1:7000,…");
 * never shows a password.
 */
export function describeRedis(s: RedisSettings): string {
  return _where(s) + (redisUsesTls(s) ? " over TLS" : "");
}

function _where(s: RedisSettings): string {
  if (s.REDIS_CLUSTER_NODES) {
    try {
      return `cluster ${
        parseClusterNodes(s.REDIS_CLUSTER_NODES).map((n) => `${n.host}:${n.port}`)
      }`;
    } catch {
      return "(invalid REDIS_CLUSTER_NODES)";
    }
  }
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

/**
 * ioredis options for the settings (the URL, if any, is passed separately and wins over the
 * user and password here). Reads the `REDIS_TLS_*` files: throws one line when one is missing.
 */
export function redisOptions(s: RedisSettings, name: string): RedisOptions {
  return {
    connectionName: name,
    lazyConnect: true,
    // The policy of the module doc: a command is written at most once, on a ready connection;
    // a failed one is never sent later. Callers retry explicitly what may be replayed.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // Reconnects go on forever (a Redis restart pauses a component, it does not kill it), at
    // most 1 s apart so a component sees Redis back within a second.
    retryStrategy: reconnectDelay,
    commandTimeout: s.REDIS_SOCKET_TIMEOUT * 1000,
    connectTimeout: s.REDIS_SOCKET_TIMEOUT * 1000,
    username: redisUsername(s),
    password: s.REDIS_PASSWORD ?? undefined,
    tls: redisTlsOptions(s),
    ...(s.REDIS_URL ? {} : { host: s.REDIS_HOST, port: s.REDIS_PORT, db: s.REDIS_DB }),
  };
}

/**
 * Creates a client without connecting: a `Cluster` when `REDIS_CLUSTER_NODES` is set (with the
 * password and TLS of `REDIS_URL` or `REDIS_PASSWORD` on every node), otherwise a `Redis`.
 */
export function createRedis(s: RedisSettings, name: string): RedisClient {
  const opts = redisOptions(s, name);
  const client: RedisClient = s.REDIS_CLUSTER_NODES
    ? createCluster(s.REDIS_CLUSTER_NODES, clusterOptions(opts, s.REDIS_URL))
    : s.REDIS_URL
    ? new Redis(s.REDIS_URL, opts)
    : new Redis(opts);
  // ioredis emits 'error' on every failed reconnect; unhandled, it would crash the process.
  // They reach the log through watchRedis(): once per outage.
  client.on("error", () => {});
  guardSockets(client);
  return client;
}

/**
 * Keeps an 'error' listener on every socket of the client for the socket's whole life. ioredis
 * listens to a socket's first error only (`once`); a second one — a server that demands a client
 * certificate resets the TLS connection, then the handshake's write fails with EPIPE — had no
 * listener and crashed the process with "Uncaught Error: write EPIPE". The first error still
 * reaches ioredis (and so the one-line message of {@linkcode connectRedis}); later ones are
 * dropped: the connection is lost either way, and its outage is reported by `watchRedis`.
 */
function guardSockets(client: RedisClient): void {
  const guard = (node: Redis) => {
    node.on("connect", () => {
      const stream = (node as unknown as { stream?: { on(e: "error", f: () => void): void } })
        .stream;
      stream?.on("error", () => {});
    });
  };
  if (isRedisCluster(client)) client.on("+node", guard);
  else guard(client);
}

/** Options of {@linkcode watchRedis} and {@linkcode connectRedis}'s outage reports. */
export interface RedisOutageOptions {
  /** Where the outage lines go. */
  log: Logger;
  /** The component ("kafka-monitor"); @default the connection name */
  component?: string;
  /**
   * What the component does meanwhile.
   * @default {"will retry"}
   */
  meanwhile?: string;
}

const outages = new WeakMap<RedisClient, OutageReporter>();

/**
 * Reports the client's outages once each (one warning when the connection is lost, one info
 * line when it is ready again, with the duration); returns the reporter.
 */
export function watchRedis(
  client: RedisClient,
  where: string,
  opts: RedisOutageOptions & { component: string },
): OutageReporter {
  const existing = outages.get(client);
  if (existing) return existing;
  const reporter = new OutageReporter({
    log: opts.log,
    component: opts.component,
    service: "Redis",
    where,
    meanwhile: opts.meanwhile,
  });
  outages.set(client, reporter);
  if (isRedisCluster(client)) {
    watchCluster(client, reporter);
    return reporter;
  }
  let lastError: unknown = undefined;
  client.on("error", (err: unknown) => {
    lastError = err;
    if (client.status !== "ready") reporter.down(err);
  });
  client.on("reconnecting", () => reporter.down(lastError ?? new Error("connection lost")));
  client.on("ready", () => {
    lastError = undefined;
    reporter.up();
  });
  return reporter;
}

/** The outage reporter {@linkcode watchRedis} attached to `client`, if any. */
export function redisOutage(client: RedisClient): OutageReporter | undefined {
  return outages.get(client);
}

/**
 * Logs a Redis operation that failed and will be retried: a warning while Redis is up, only a
 * debug line while it is away — its outage is reported once ({@linkcode watchRedis}), not once
 * per retry.
 */
export function logRedisFailure(
  log: Logger,
  client: RedisClient,
  message: string,
  err: unknown,
): void {
  const away = !redisReady(client) || outages.get(client)?.isDown === true;
  if (away) log.debug(message, { error: err });
  else log.warn(message, { error: err });
}

/**
 * Connects and pings once (every master of a cluster), failing after `timeoutMs` with
 * "Cannot connect to Redis at host:port/db: <reason>" (or "at cluster h1:p1,h2:p2: <reason>").
 */
export async function connectRedis(
  s: RedisSettings,
  name: string,
  opts: { timeoutMs?: number; outage?: RedisOutageOptions } = {},
): Promise<RedisClient> {
  const client = createRedis(s, name);
  let lastError: unknown = null;
  // A cluster reports each failing node on 'node error'; its own 'error' only says "all failed".
  const onError = (err: unknown) => {
    if (!isRedisCluster(client) || lastError === null) lastError = err;
  };
  const onNodeError = (err: unknown, node: string) => {
    // "Connection is closed." follows the node's real error (ECONNREFUSED …): keep the latter.
    if (lastError !== null && (err as Error)?.message === "Connection is closed.") return;
    lastError = new Error(`${node}: ${err instanceof Error ? err.message : err}`);
  };
  client.on("error", onError);
  if (isRedisCluster(client)) client.on("node error", onNodeError);
  const connect = async () => {
    await client.connect();
    if (isRedisCluster(client)) await pingMasters(client);
    else await client.ping();
  };
  const timeoutMs = opts.timeoutMs ?? s.REDIS_SOCKET_TIMEOUT * 1000;
  try {
    await withTimeout(connect(), timeoutMs, {
      message: `no answer in ${timeoutMs} ms`,
    }).catch((err) => {
      // Out of time: the last connection error says more than the timeout itself.
      throw err instanceof TimeoutError && lastError !== null ? lastError : err;
    });
    // From now on each outage is reported once (the first connection fails early instead).
    if (opts.outage) {
      watchRedis(client, describeRedis(s), {
        ...opts.outage,
        component: opts.outage.component ?? name,
      });
    }
    return client;
  } catch (err) {
    client.disconnect();
    let reason = err instanceof Error ? err.message : String(err);
    // ioredis's "None of startup nodes is available" does not say why: the last node's error does.
    if (isRedisCluster(client) && lastError instanceof Error && lastError !== err) {
      reason += ` (${lastError.message})`;
    } else if (reason === "Connection is closed." && lastError instanceof Error) {
      // A refused TLS handshake closes the connection; the socket's error says why.
      reason = lastError.message;
    }
    throw new Error(
      `Cannot connect to Redis at ${describeRedis(s)}: ${explainRedisFailure(reason, s)}`,
    );
  } finally {
    client.off("error", onError);
    if (isRedisCluster(client)) client.off("node error", onNodeError);
  }
}

/** Closes a client: QUIT when connected, otherwise just drop it. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === "ready") {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
