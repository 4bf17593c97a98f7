/**
 * Redis Cluster through ioredis's `Cluster`, with the client policy of `redis.ts` applied to the
 * cluster and to every node's connection: no offline queue, no resend of a command that was
 * written (ioredis's failover retry, `retryDelayOnFailover`, is off: a command that died with its
 * node's connection may have run), `commandTimeout` = `REDIS_SOCKET_TIMEOUT`, user, password and
 * TLS (`redis_security.ts`) from the same settings on every node. Redirections (MOVED, ASK) and CLUSTERDOWN/TRYAGAIN
 * replies are still followed: Redis did not run the command.
 *
 * Commands are auto-pipelined (one pipeline per node and tick), reads go to masters. A node that
 * goes away keeps reconnecting (at most 1 s apart) while its slots' commands fail at once; the
 * outage is the cluster's, reported once ({@linkcode watchCluster}).
 *
 * @module
 */

import { Cluster, type ClusterOptions, type Redis, type RedisOptions } from "ioredis";
import type { OutageReporter } from "./outage.ts";

/** Parses `REDIS_CLUSTER_NODES` ("h1:p1,h2:p2"); throws "Cannot use …" on a malformed entry. */
export function parseClusterNodes(list: string): { host: string; port: number }[] {
  const nodes = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (nodes.length === 0) throw new Error("Cannot use REDIS_CLUSTER_NODES: it names no node");
  return nodes.map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new Error(
        `Cannot use REDIS_CLUSTER_NODES: '${entry}' is not host:port (e.g. 127.0.0.1:7000)`,
      );
    }
    return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
  });
}

/** Reconnect backoff shared by the cluster and its nodes: at most 1 s apart, forever. */
export const reconnectDelay = (times: number): number =>
  Math.min(50 * 2 ** Math.min(times, 6), 1_000);

/**
 * ioredis `Cluster` options from the single-node options of `redis.ts` (`nodeOptions`, the same
 * policy) and, when given, the credentials and TLS of a `redis[s]://` URL.
 */
export function clusterOptions(nodeOptions: RedisOptions, url: string | null): ClusterOptions {
  const {
    host: _host,
    port: _port,
    db: _db,
    enableOfflineQueue: _queue,
    retryStrategy: _retry,
    lazyConnect: _lazy,
    ...perNode
  } = nodeOptions;
  if (url) {
    const parsed = new URL(url);
    if (parsed.username) perNode.username = decodeURIComponent(parsed.username);
    if (parsed.password) perNode.password = decodeURIComponent(parsed.password);
    // The CA/cert/key of the settings (already in perNode.tls) are kept.
    if (parsed.protocol === "rediss:") perNode.tls ??= {};
  }
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    // A command that failed with its node's connection may have run: never resent.
    retryDelayOnFailover: 0,
    enableAutoPipelining: true,
    scaleReads: "master",
    clusterRetryStrategy: reconnectDelay,
    // Nodes reconnect on their own, so a restarted master is used again within a second and
    // its slots' commands fail at once meanwhile (instead of a MOVED round trip each).
    clusterNodeRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: nodeOptions.connectTimeout ?? 10_000,
    redisOptions: perNode,
  };
}

/** Creates a cluster client without connecting. */
export function createCluster(list: string, opts: ClusterOptions): Cluster {
  return new Cluster(parseClusterNodes(list), opts);
}

/** True when the cluster is connected and every master node it knows takes commands. */
export function clusterReady(cluster: Cluster): boolean {
  return cluster.status === "ready" &&
    cluster.nodes("master").every((n) => n.status === "ready" || n.status === "wait");
}

/**
 * Feeds a cluster's outages to `reporter`: down when the cluster or any of its masters loses its
 * connection (naming the node), up once the cluster and every master take commands again.
 */
export function watchCluster(cluster: Cluster, reporter: OutageReporter): void {
  const watched = new WeakSet<Redis>();
  let lastError: unknown = undefined;
  const checkUp = () => {
    if (clusterReady(cluster)) {
      lastError = undefined;
      reporter.up();
    }
  };
  const watch = (node: Redis) => {
    if (watched.has(node)) return;
    watched.add(node);
    node.on("error", (err: unknown) => {
      lastError = _nodeError(node, err);
      if (node.status !== "ready") reporter.down(lastError);
    });
    node.on(
      "reconnecting",
      () => reporter.down(lastError ?? _nodeError(node, new Error("connection lost"))),
    );
    node.on("ready", checkUp);
  };
  for (const node of cluster.nodes("all")) watch(node);
  cluster.on("+node", watch);
  cluster.on("-node", checkUp);
  cluster.on("error", (err: unknown) => lastError = err);
  cluster.on(
    "reconnecting",
    () => reporter.down(lastError ?? new Error("cluster connection lost")),
  );
  cluster.on("ready", checkUp);
}

/** Pings every master, so a cluster with an unreachable master fails to connect. */
export async function pingMasters(cluster: Cluster): Promise<void> {
  await Promise.all(
    cluster.nodes("master").map((node) =>
      node.ping().catch((err: Error) => {
        throw _nodeError(node, err);
      })
    ),
  );
}

function _nodeError(node: Redis, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(`${node.options.host}:${node.options.port}: ${reason}`);
}
