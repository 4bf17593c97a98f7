/**
 * End to end on a Redis Cluster of its own (three masters, append-only file fsynced on every
 * write): a 200-page crawl fed through Kafka to a kafka-monitor, a redis-monitor and two crawler
 * processes, and mid-crawl the master holding the crawl's frontier shard (queue, leases, index,
 * dupefilter) restarted in place. Every page must reach the crawled topic (duplicates allowed:
 * at-least-once) and no lease may be left. Runs the chaos harness's scenario
 * (`test/chaos/scenario.ts`) with its {@linkcode SHARD_RESTART} fault.
 */
import assert from "node:assert/strict";
import { serviceEnv } from "../harness.ts";
import { SHARD_RESTART } from "../chaos/faults.ts";
import { runScenario } from "../chaos/scenario.ts";
import { startChaosServices } from "../chaos/services.ts";
import { formatTable, SUITE_PLAN } from "../chaos/run.ts";

const PLAN = SUITE_PLAN;

Deno.test("a Redis Cluster master restarted mid-crawl loses no page and leaves no lease [cluster]", async () => {
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS } = serviceEnv();
  // The data folder (the components' logs) is kept when the test fails, named in the message.
  const services = await startChaosServices({
    given: { KAFKA_HOSTS, ZOOKEEPER_HOSTS },
    redisCluster: true,
    keep: true,
  });
  const logDir = `${services.dataDir}/logs`;
  await Deno.mkdir(logDir, { recursive: true });
  let passed = false;
  try {
    const result = await runScenario(services, SHARD_RESTART, PLAN, { logDir });
    console.log(formatTable([result]));
    const about = `${result.duplicates} duplicate deliveries (${result.duplicatePages} pages); ` +
      `notes: ${result.notes.join("; ") || "none"}; logs in ${logDir}`;
    assert.deepEqual(result.missing, [], `missing pages; ${about}`);
    assert.equal(result.received, PLAN.sections * PLAN.perSection, about);
    assert.equal(result.unexpected, 0, about);
    assert.ok(result.faultSec !== null, `the master was restarted; ${about}`);
    assert.equal(result.leasesLeft, 0, `no lease left; ${about}`);
    for (const [name, code] of Object.entries(result.exitCodes)) {
      assert.equal(code, 0, `${name} exits 0 on SIGTERM; ${about}`);
    }
    passed = true;
  } finally {
    await services.stop();
    if (passed) await Deno.remove(services.dataDir, { recursive: true }).catch(() => {});
  }
});
