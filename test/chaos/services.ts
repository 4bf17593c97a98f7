/**
 * The services a chaos run breaks: Redis (append-only file on, so a restart keeps the
 * frontier), Kafka 3.9 KRaft and ZooKeeper, each started by the `lib/services/local/` helpers on
 * a fixed free port and data folder so it can be stopped, killed and started again in place.
 * A service already running elsewhere (its address given) is used as it is and cannot be
 * broken. With `redisCluster`, a local three-master Redis Cluster (append-only file fsynced on
 * every write) takes the single Redis's place; one master at a time can be restarted in place.
 *
 * @module
 */

import { freePort } from "../../lib/services/local/paths.ts";
import { startKafka } from "../../lib/services/local/kafka_server.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { startZookeeper } from "../../lib/services/local/zookeeper_server.ts";
import {
  type LocalRedisCluster,
  type RestartableServer,
  startRedisCluster,
  startRestartable,
} from "../../lib/services/local/mod.ts";

/** The services of a chaos run. */
export interface ChaosServices {
  readonly env: {
    REDIS_URL: string;
    KAFKA_HOSTS: string;
    ZOOKEEPER_HOSTS: string;
    /** Set (and REDIS_URL empty) when the run is on a Redis Cluster. */
    REDIS_CLUSTER_NODES?: string;
  };
  /** The servers started here (null: given, not ours to break). */
  readonly redis: RestartableServer | null;
  /** The Redis Cluster started here instead of `redis` (`redisCluster` option). */
  readonly redisCluster: LocalRedisCluster | null;
  readonly kafka: RestartableServer | null;
  readonly zookeeper: RestartableServer | null;
  /** Where the servers keep their data and logs. */
  readonly dataDir: string;
  /** Stops the servers started here (the data folder stays when `keep` was asked). */
  stop(): Promise<void>;
}

/** Options of {@linkcode startChaosServices}. */
export interface ChaosServicesOptions {
  /** Addresses of services to use instead of starting them (e.g. the test run's shared ones). */
  given?: { REDIS_URL?: string; KAFKA_HOSTS?: string; ZOOKEEPER_HOSTS?: string };
  /** Start a local three-master Redis Cluster instead of a single Redis. @default {false} */
  redisCluster?: boolean;
  /** Keep the data folder (servers' logs) after stop(). @default {false} */
  keep?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Starts Redis (AOF), ZooKeeper and Kafka unless given; each can be restarted in place. */
export async function startChaosServices(
  opts: ChaosServicesOptions = {},
): Promise<ChaosServices> {
  const given = opts.given ?? {};
  const log = opts.log ?? (() => {});
  const dataDir = await Deno.makeTempDir({ prefix: "crawl-cluster-chaos-" });
  const started: RestartableServer[] = [];
  const timed = async (name: string, start: () => Promise<RestartableServer>) => {
    const t0 = performance.now();
    const server = await start();
    started.push(server);
    log(`${name} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return server;
  };
  const redisPort = freePort();
  const zkPort = freePort();
  const kafkaPort = freePort();
  const controllerPort = freePort();
  let cluster: LocalRedisCluster | null = null;
  const stop = async () => {
    for (const server of [...started].reverse()) await server.stop();
    await cluster?.stop();
    if (!opts.keep) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  try {
    const [redis, zookeeper, kafka] = await Promise.all([
      opts.redisCluster
        ? startRedisCluster({ dir: `${dataDir}/redis-cluster` }).then((started) => {
          cluster = started;
          log(`Redis Cluster ready on ${started.nodes}`);
          return null;
        })
        : given.REDIS_URL
        ? null
        : timed(
          "Redis",
          () =>
            startRestartable(() =>
              startRedis(redisPort, `${dataDir}/redis`, {
                appendOnly: true,
                appendFsync: "everysec",
              })
            ),
        ),
      given.ZOOKEEPER_HOSTS
        ? null
        : timed("ZooKeeper", () =>
          startRestartable(() => startZookeeper(zkPort, `${dataDir}/zookeeper`, { log }))),
      given.KAFKA_HOSTS
        ? null
        : timed("Kafka", () =>
          startRestartable(() =>
            startKafka(kafkaPort, controllerPort, `${dataDir}/kafka`, { log })
          )),
    ]);
    return {
      env: {
        REDIS_URL: cluster ? "" : given.REDIS_URL ?? `redis://127.0.0.1:${redisPort}/0`,
        KAFKA_HOSTS: given.KAFKA_HOSTS ?? `127.0.0.1:${kafkaPort}`,
        ZOOKEEPER_HOSTS: given.ZOOKEEPER_HOSTS ?? `127.0.0.1:${zkPort}`,
        ...(cluster ? { REDIS_CLUSTER_NODES: (cluster as LocalRedisCluster).nodes } : {}),
      },
      redis,
      redisCluster: cluster,
      kafka,
      zookeeper,
      dataDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
