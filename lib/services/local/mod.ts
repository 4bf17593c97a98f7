/**
 * The local infrastructure used by both the test runner and `deno task cluster`: Redis,
 * ZooKeeper and Kafka started as child processes on loopback ports, with data in a temporary
 * folder, or existing services named by `REDIS_URL`, `ZOOKEEPER_HOSTS` and `KAFKA_HOSTS`; and a
 * local Redis Cluster (`redis_cluster.ts`) for the tests that run on both kinds of Redis.
 *
 * @example
 * ```ts ignore
 * const services = await startLocalServices({ log: console.log });
 * try {
 *   console.log(services.env); // { REDIS_URL, KAFKA_HOSTS, ZOOKEEPER_HOSTS }
 * } finally {
 *   await services.stop();
 * }
 * ```
 *
 * @module
 */

import { freePort, portInUse } from "./paths.ts";
import type { ServerProcess } from "./process.ts";
import { startKafka } from "./kafka_server.ts";
import { startRedis } from "./redis_server.ts";
import { startZookeeper } from "./zookeeper_server.ts";

export { stopAllServers } from "./process.ts";
export {
  type LocalRedisCluster,
  type RedisClusterOptions,
  startRedisCluster,
} from "./redis_cluster.ts";
export {
  type RestartableServer,
  type RestartOptions,
  type RestartTimes,
  startRestartable,
} from "./restartable.ts";

/** Ports for the services; 0 (the default) picks a free one. */
export interface ServicePorts {
  redis?: number;
  zookeeper?: number;
  kafka?: number;
  kafkaController?: number;
}

/** Options of {@linkcode startLocalServices}. */
export interface LocalServicesOptions {
  /** Fixed ports (the local cluster uses the usual 6379/2181/9092); free ones by default. */
  ports?: ServicePorts;
  /** Environment to look for existing services in. @default Deno.env.toObject() */
  env?: Record<string, string | undefined>;
  /** Progress lines ("Kafka ready on 127.0.0.1:9092 in 3.1 s"). */
  log?: (line: string) => void;
}

/** The running (or reused) services. */
export interface LocalServices {
  /** `REDIS_URL`, `KAFKA_HOSTS`, `ZOOKEEPER_HOSTS` for the components and tests. */
  readonly env: { REDIS_URL: string; KAFKA_HOSTS: string; ZOOKEEPER_HOSTS: string };
  /** The servers started here (empty when every service was given). */
  readonly processes: readonly ServerProcess[];
  /** The temporary data folder (removed by stop()). */
  readonly dataDir: string;
  /** Stops the servers started here and removes their data. */
  stop(): Promise<void>;
}

/**
 * Starts what the environment does not already provide. Redis and ZooKeeper start in parallel
 * with the Kafka storage format, so a cold start costs about one Kafka start.
 */
export async function startLocalServices(opts: LocalServicesOptions = {}): Promise<LocalServices> {
  const env = opts.env ?? Deno.env.toObject();
  const log = opts.log ?? (() => {});
  const dataDir = await Deno.makeTempDir({ prefix: "crawl-cluster-" });
  const processes: ServerProcess[] = [];
  const timed = async (name: string, start: () => Promise<ServerProcess>, where: string) => {
    const t0 = performance.now();
    const proc = await start();
    processes.push(proc);
    log(`${name} ready on ${where} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return proc;
  };
  const pick = async (name: string, port: number | undefined) => {
    if (!port) return freePort();
    if (await portInUse(port)) {
      throw new Error(
        `Cannot start ${name}: port ${port} on 127.0.0.1 is in use (another cluster running?). ` +
          `Stop it, or point the ${name} setting at it.`,
      );
    }
    return port;
  };
  const ports = opts.ports ?? {};
  const stop = async () => {
    for (const proc of [...processes].reverse()) await proc.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  try {
    const redisUrl = env.REDIS_URL || undefined;
    const zkHosts = env.ZOOKEEPER_HOSTS || undefined;
    const kafkaHosts = env.KAFKA_HOSTS || undefined;
    const redisPort = redisUrl ? 0 : await pick("REDIS_URL", ports.redis);
    const zkPort = zkHosts ? 0 : await pick("ZOOKEEPER_HOSTS", ports.zookeeper);
    const kafkaPort = kafkaHosts ? 0 : await pick("KAFKA_HOSTS", ports.kafka);
    const controllerPort = kafkaHosts ? 0 : await pick("Kafka controller", ports.kafkaController);
    await Promise.all([
      redisUrl ? null : timed(
        "Redis",
        () => startRedis(redisPort, `${dataDir}/redis`),
        `127.0.0.1:${redisPort}`,
      ),
      zkHosts ? null : timed(
        "ZooKeeper",
        () => startZookeeper(zkPort, `${dataDir}/zookeeper`, { log }),
        `127.0.0.1:${zkPort}`,
      ),
      kafkaHosts ? null : timed(
        "Kafka",
        () => startKafka(kafkaPort, controllerPort, `${dataDir}/kafka`, { log }),
        `127.0.0.1:${kafkaPort}`,
      ),
    ]);
    return {
      env: {
        REDIS_URL: redisUrl ?? `redis://127.0.0.1:${redisPort}/0`,
        KAFKA_HOSTS: kafkaHosts ?? `127.0.0.1:${kafkaPort}`,
        ZOOKEEPER_HOSTS: zkHosts ?? `127.0.0.1:${zkPort}`,
      },
      processes,
      dataDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
