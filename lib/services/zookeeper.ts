/**
 * ZooKeeper connections (node-zookeeper-client) as promises: connecting fails early with one
 * line, every call is bounded by a timeout and can be aborted, and closing waits until the
 * client has really let go of its socket (so `deno test` sanitizers pass).
 *
 * All use of node-zookeeper-client goes through this module, `zookeeper_nodes.ts` (reading and
 * writing nodes) and the crawler's `live/zookeeper_watcher.ts`.
 *
 * The client reconnects by itself after a dropped connection (retrying each server, then
 * waiting a random delay up to `spinDelay`) and keeps its session, its watches and its queued
 * requests across the gap; only an expired session needs a new client. Requests made while
 * disconnected wait for the reconnection, hence the timeouts here.
 *
 * @example
 * ```ts ignore
 * import { closeZookeeper, connectZookeeper, create, getData, setData } from "./mod.ts";
 *
 * const zk = await connectZookeeper("127.0.0.1:2181", { timeoutMs: 5_000 });
 * await create(zk, "/demo/config", "a: 1\n", { mkdirp: true });
 * const { data, version } = await getData(zk, "/demo/config");
 * await setData(zk, "/demo/config", data + "b: 2\n", version); // fails on BAD_VERSION if raced
 * await closeZookeeper(zk);
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import net from "node:net";
import zookeeper from "node-zookeeper-client";
import type { Client, Event as ZkEvent } from "node-zookeeper-client";

export type { Client, ZkEvent };

/** A failed ZooKeeper call; `code` is ZooKeeper's error name (`NO_NODE`, `BAD_VERSION`, ...). */
export class ZookeeperError extends Error {
  /**
   * `NO_NODE`, `NODE_EXISTS`, `BAD_VERSION`, `CONNECTION_LOSS`, `SESSION_EXPIRED`, ... as
   * ZooKeeper names them, plus `TIMEOUT` (no answer in time), `ABORTED` and `BAD_ARGUMENTS`
   * (e.g. an invalid path).
   */
  readonly code: string;
  readonly path: string | undefined;
  constructor(code: string, message: string, path?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ZookeeperError";
    this.code = code;
    this.path = path;
  }
}

/** True when `err` is a {@linkcode ZookeeperError} with one of `codes`. */
export function isZookeeperError(err: unknown, ...codes: string[]): err is ZookeeperError {
  return err instanceof ZookeeperError && (codes.length === 0 || codes.includes(err.code));
}

/** Options of {@linkcode connectZookeeper}. */
export interface ConnectZookeeperOptions {
  /** Time allowed to get a session. @default 10_000 */
  timeoutMs?: number;
  /** Session timeout asked of the server (it clamps to 2–20 ticks). @default 30_000 */
  sessionTimeoutMs?: number;
  /** Longest random wait between reconnection rounds after a drop. @default 500 */
  spinDelayMs?: number;
  /** Gives up (closing the client) when aborted. */
  signal?: AbortSignal;
  /**
   * Digest credentials (`ZOOKEEPER_AUTH`, parsed by `zookeeper_auth.ts`), sent with every
   * session. ZooKeeper accepts any digest: a wrong password shows as a refused write (NO_AUTH).
   */
  auth?: { user: string; password: string } | null;
}

/** Connection manager states of node-zookeeper-client (lib/ConnectionManager.js). */
const CM_CLOSING = -1;
const CM_CLOSED = -2;

/** The parts of node-zookeeper-client's internals that closing needs. */
interface ClientInternals {
  options: { spinDelay: number };
  connectionManager: EventEmitter & {
    state: number;
    connectTimeout: number;
    socket?: net.Socket;
  };
}

/** `host:port` pairs of a connection string (`h1:2181,h2:2181/chroot`); port 2181 by default. */
export function zookeeperServers(hosts: string): { host: string; port: number }[] {
  const slash = hosts.indexOf("/");
  const list = (slash >= 0 ? hosts.slice(0, slash) : hosts).split(",").map((s) => s.trim());
  return list.filter(Boolean).map((entry) => {
    const colon = entry.lastIndexOf(":");
    if (colon < 0) return { host: entry, port: 2181 };
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  });
}

/**
 * Fail-early probe: resolves when a TCP connection to one of the servers opens within
 * `timeoutMs`, otherwise throws "Cannot connect to ZooKeeper at <hosts>: <reason>".
 */
export async function checkZookeeper(hosts: string, timeoutMs = 2_000): Promise<void> {
  const servers = zookeeperServers(hosts);
  if (servers.length === 0 || servers.some((s) => !s.host || !Number.isInteger(s.port))) {
    throw new Error(`Cannot connect to ZooKeeper at ${hosts}: invalid host list`);
  }
  const reasons: string[] = [];
  for (const server of servers) {
    try {
      await _probe(server.host, server.port, timeoutMs);
      return;
    } catch (err) {
      reasons.push((err as Error).message);
    }
  }
  throw new Error(`Cannot connect to ZooKeeper at ${hosts}: ${reasons.join("; ")}`);
}

function _probe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host, port });
    const timer = setTimeout(() => finish(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", () => finish(null));
    socket.once("error", (err: Error & { code?: string }) => finish(err));
    function finish(err: Error | null) {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.destroy();
      if (err) reject(new Error(_socketReason(err)));
      else resolve();
    }
  });
}

function _socketReason(err: Error & { code?: string }): string {
  if (err.code === "ECONNREFUSED") return "connection refused";
  return err.message || err.code || String(err);
}

/**
 * Connects and waits for a session. Fails after `timeoutMs` (at once when every server
 * refuses the connection) with "Cannot connect to ZooKeeper at <hosts>: <reason>".
 * Close the client with {@linkcode closeZookeeper}.
 */
export async function connectZookeeper(
  hosts: string,
  opts: ConnectZookeeperOptions = {},
): Promise<Client> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const started = Date.now();
  await checkZookeeper(hosts, Math.min(timeoutMs, 2_000));
  const client = zookeeper.createClient(hosts, {
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    spinDelay: opts.spinDelayMs ?? 500,
    retries: 0,
  }) as unknown as Client;
  if (opts.auth) {
    client.addAuthInfo("digest", Buffer.from(`${opts.auth.user}:${opts.auth.password}`, "utf8"));
  }
  const left = Math.max(1, timeoutMs - (Date.now() - started));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onConnected = () => {};
  let onAbort = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      onConnected = resolve;
      onAbort = () => reject(new Error("aborted"));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      client.once("connected", onConnected);
      timer = setTimeout(() => reject(new Error(`no session in ${timeoutMs} ms`)), left);
      client.connect();
    });
    return client;
  } catch (err) {
    client.removeListener("connected", onConnected);
    await closeZookeeper(client);
    throw new Error(`Cannot connect to ZooKeeper at ${hosts}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/** True while the client has a live session with a server. */
export function isConnected(client: Client): boolean {
  const state = client.getState();
  return state === zookeeper.State.SYNC_CONNECTED ||
    state === zookeeper.State.CONNECTED_READ_ONLY;
}

/**
 * Closes the session and waits until the client has released its socket and stopped
 * reconnecting (bounded by `timeoutMs` plus one reconnection round; the socket is then
 * destroyed). Safe to call twice.
 */
export async function closeZookeeper(client: Client, timeoutMs = 3_000): Promise<void> {
  const internals = client as unknown as ClientInternals;
  const cm = internals.connectionManager;
  if (cm.state === CM_CLOSED) return;
  if (!cm.socket) {
    // Never connected: nothing to release (close() would write to a socket that does not exist).
    cm.state = CM_CLOSED;
    return;
  }
  const closed = new Promise<void>((resolve) => {
    const onState = (state: number) => {
      if (state !== CM_CLOSED) return;
      cm.removeListener("state", onState);
      resolve();
    };
    cm.on("state", onState);
  });
  if (cm.state !== CM_CLOSING) client.close();
  // A closing client still finishes a pending reconnection round (up to spinDelay, then a
  // connect of up to connectTimeout) before it reaches CLOSED: wait for that.
  const bound = timeoutMs + internals.options.spinDelay + cm.connectTimeout;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let nudge: ReturnType<typeof setTimeout> | undefined;
  try {
    // A server that does not answer the close: drop the socket (the client then ends CLOSED).
    nudge = setTimeout(() => cm.socket?.destroy(), timeoutMs);
    await Promise.race([closed, new Promise((resolve) => timer = setTimeout(resolve, bound))]);
  } finally {
    clearTimeout(timer);
    clearTimeout(nudge);
    if (cm.state !== CM_CLOSED) cm.socket?.destroy();
  }
}
