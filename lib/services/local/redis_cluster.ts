/**
 * A local Redis Cluster for tests and benchmarks: N masters (no replicas) on free loopback ports,
 * each with its append-only file flushed on every write (`appendfsync always`) and its cluster
 * config in its own folder, joined by `redis-cli --cluster create`. {@linkcode
 * LocalRedisCluster.restart} stops one master (SIGTERM) and starts it again on the same port,
 * config and data, as a shard restart in production would: nothing written before is lost.
 *
 * @example
 * ```ts ignore
 * const cluster = await startRedisCluster({ masters: 3 });
 * try {
 *   console.log(cluster.nodes); // "127.0.0.1:41234,127.0.0.1:41236,127.0.0.1:41238"
 *   await cluster.restart(1);
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 *
 * @module
 */

import { freePort, which } from "./paths.ts";
import type { ServerProcess } from "./process.ts";
import { ensureRedisServer, startRedis } from "./redis_server.ts";

/** Options of {@linkcode startRedisCluster}. */
export interface RedisClusterOptions {
  /**
   * How many masters.
   * @default {3}
   */
  masters?: number;
  /** The data folder; a temporary one (removed by `stop()`) by default. */
  dir?: string;
  /**
   * How long to wait for the servers, and then for `cluster_state:ok`.
   * @default {30_000}
   */
  timeoutMs?: number;
}

/** A running local Redis Cluster. */
export interface LocalRedisCluster {
  /** `REDIS_CLUSTER_NODES` for it: "127.0.0.1:p1,127.0.0.1:p2,…". */
  readonly nodes: string;
  /** The masters' client ports, in start order. */
  readonly ports: readonly number[];
  /** Stops every master and removes a temporary data folder. */
  stop(): Promise<void>;
  /**
   * Stops master `index` with SIGTERM and starts it again on the same port, config and data;
   * resolves once every node reports `cluster_state:ok` again.
   */
  restart(index: number): Promise<void>;
}

/** Starts the masters in parallel, creates the cluster and waits until it serves every slot. */
export async function startRedisCluster(
  opts: RedisClusterOptions = {},
): Promise<LocalRedisCluster> {
  const masters = opts.masters ?? 3;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const temporary = opts.dir === undefined;
  const dir = opts.dir ?? await Deno.makeTempDir({ prefix: "crawl-cluster-redis-cluster-" });
  await ensureRedisServer();
  const cli = which("redis-cli");
  if (!cli) throw new Error("Cannot start a Redis Cluster: redis-cli is not installed");
  // Each master needs a client port and a cluster bus port; both are picked free.
  const picked = new Set<number>();
  while (picked.size < 2 * masters) picked.add(freePort());
  const free = [...picked];
  const ports = Array.from({ length: masters }, (_, i) => [free[2 * i], free[2 * i + 1]] as const);
  const start = (i: number) => {
    const [port, busPort] = ports[i];
    return startRedis(port, `${dir}/${port}`, {
      timeoutMs,
      appendOnly: true,
      appendFsync: "always",
      extraArgs: [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
        "--cluster-port",
        String(busPort),
      ],
    });
  };
  const procs: (ServerProcess | null)[] = Array(masters).fill(null);
  const stop = async () => {
    await Promise.all(procs.map((p) => p?.stop()));
    procs.fill(null);
    if (temporary) await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await Promise.all(ports.map(async (_, i) => procs[i] = await start(i)));
    const addresses = ports.map(([port]) => `127.0.0.1:${port}`);
    await _redisCli(cli, ["--cluster", "create", ...addresses, "--cluster-yes"]);
    const clientPorts = ports.map(([port]) => port);
    await _waitClusterOk(cli, clientPorts, masters, timeoutMs);
    return {
      nodes: addresses.join(","),
      ports: clientPorts,
      stop,
      async restart(index) {
        if (!procs[index]) throw new Error(`Cannot restart master ${index}: it is not running`);
        await procs[index]!.stop();
        procs[index] = await start(index);
        await _waitClusterOk(cli, clientPorts, masters, timeoutMs);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function _redisCli(cli: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cli, { args, stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`Cannot create the Redis Cluster: redis-cli ${args.join(" ")}: ${text}`);
  }
  return text;
}

/** Every node says `cluster_state:ok`, knows every master and serves all 16384 slots. */
async function _waitClusterOk(
  cli: string,
  ports: readonly number[],
  masters: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const infos = await Promise.all(
      ports.map((port) =>
        _redisCli(cli, ["-h", "127.0.0.1", "-p", String(port), "cluster", "info"]).catch((e) =>
          String(e)
        )
      ),
    );
    const ok = infos.every((info) =>
      /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) &&
      new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)
    );
    if (ok) return;
    last = infos.find((info) => !/cluster_state:ok/.test(info)) ?? infos[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `Cannot start the Redis Cluster: not ok after ${timeoutMs / 1000} s: ${last.slice(0, 300)}`,
  );
}
