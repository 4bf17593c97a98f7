/**
 * `deno task test`: provisions Redis, ZooKeeper and Kafka (or uses those named by `REDIS_URL`,
 * `KAFKA_HOSTS`, `ZOOKEEPER_HOSTS`), runs `deno test` against them, and stops them again, also
 * when the tests fail or the run is interrupted. Beside them (in parallel) it starts a local
 * three-master Redis Cluster, named to the tests by `TEST_REDIS_CLUSTER_NODES` (or uses the one
 * that variable names); tests run on it through `redisKinds()` of `test/harness.ts`.
 * Extra arguments go to `deno test`
 * (`deno task test test/integration/frontier_test.ts`, `deno task test --filter queue`).
 *
 * @module
 */

import {
  type LocalRedisCluster,
  type LocalServices,
  startLocalServices,
  startRedisCluster,
} from "../lib/services/local/mod.ts";

const started = performance.now();
const say = (line: string) => console.error(`[test] ${line}`);
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

const givenCluster = Deno.env.get("TEST_REDIS_CLUSTER_NODES") || undefined;
const [servicesStart, clusterStart] = await Promise.allSettled([
  startLocalServices({ log: say }),
  givenCluster ? Promise.resolve(null) : startRedisCluster().then((cluster) => {
    say(`Redis Cluster ready on ${cluster.nodes} in ${seconds()} s`);
    return cluster;
  }),
]);
if (servicesStart.status === "rejected" || clusterStart.status === "rejected") {
  if (servicesStart.status === "fulfilled") await servicesStart.value.stop();
  if (clusterStart.status === "fulfilled") await clusterStart.value?.stop();
  const failed = [servicesStart, clusterStart].find((r) => r.status === "rejected");
  throw (failed as PromiseRejectedResult).reason;
}
const services: LocalServices = servicesStart.value;
const cluster: LocalRedisCluster | null = clusterStart.value;
say(`services ready in ${seconds()} s`);

const args = Deno.args.length > 0 ? Deno.args : [];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", "--doc", "--no-check=remote", ...args],
  env: {
    ...services.env,
    TEST_REDIS_CLUSTER_NODES: givenCluster ?? cluster!.nodes,
    CRAWL_CLUSTER_TEST: "1",
  },
  stdin: "null",
}).spawn();

let interrupted = false;
const onSignal = () => {
  interrupted = true;
  try {
    child.kill("SIGTERM");
  } catch { /* already ended */ }
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

const status = await child.status;
await Promise.all([services.stop(), cluster?.stop()]);
say(
  `tests ${status.success ? "passed" : interrupted ? "interrupted" : "failed"}; ` +
    `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
Deno.exit(status.success ? 0 : status.code || 1);
