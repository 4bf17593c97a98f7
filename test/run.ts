/**
 * `deno task test`: provisions Redis, ZooKeeper and Kafka (or uses those named by `REDIS_URL`,
 * `KAFKA_HOSTS`, `ZOOKEEPER_HOSTS`), runs `deno test` against them, and stops them again, also
 * when the tests fail or the run is interrupted. Extra arguments go to `deno test`
 * (`deno task test test/integration/frontier_test.ts`, `deno task test --filter queue`).
 *
 * @module
 */

import { startLocalServices } from "../lib/services/local/mod.ts";

const started = performance.now();
const say = (line: string) => console.error(`[test] ${line}`);

const services = await startLocalServices({ log: say });
say(`services ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const args = Deno.args.length > 0 ? Deno.args : [];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", "--doc", "--no-check=remote", ...args],
  env: { ...services.env, CRAWL_CLUSTER_TEST: "1" },
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
await services.stop();
say(
  `tests ${status.success ? "passed" : interrupted ? "interrupted" : "failed"}; ` +
    `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
Deno.exit(status.success ? 0 : status.code || 1);
