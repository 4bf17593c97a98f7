/**
 * End to end, the short part of `deno task chaos` that CI runs: a 200-page crawl fed through
 * Kafka to two crawler processes, one SIGKILLed mid-crawl; another with its Redis (our own,
 * append-only file on) restarted mid-crawl. Every page must reach the crawled topic; duplicates
 * are allowed (at-least-once) and only logged.
 */
import assert from "node:assert/strict";
import { serviceEnv } from "../harness.ts";
import { CRAWLER_KILL, REDIS_RESTART } from "../chaos/faults.ts";
import { type Fault, runScenario } from "../chaos/scenario.ts";
import { startChaosServices } from "../chaos/services.ts";
import { formatTable, SUITE_PLAN } from "../chaos/run.ts";

const PLAN = SUITE_PLAN;

async function check(fault: Fault) {
  const { KAFKA_HOSTS, ZOOKEEPER_HOSTS } = serviceEnv();
  const services = await startChaosServices({ given: { KAFKA_HOSTS, ZOOKEEPER_HOSTS } });
  const logDir = `${services.dataDir}/logs`;
  await Deno.mkdir(logDir, { recursive: true });
  try {
    const result = await runScenario(services, fault, PLAN, { logDir });
    console.log(formatTable([result]));
    assert.deepEqual(result.missing, [], `missing pages; notes: ${result.notes.join("; ")}`);
    assert.equal(result.received, PLAN.sections * PLAN.perSection);
    assert.equal(result.unexpected, 0);
    for (const [name, code] of Object.entries(result.exitCodes)) {
      if (fault === CRAWLER_KILL && name === `crawler-${PLAN.crawlers}`) continue; // killed
      assert.equal(code, 0, `${name} exits 0 on SIGTERM`);
    }
  } finally {
    await services.stop();
  }
}

Deno.test("chaos: a crawler SIGKILLed mid-crawl loses no page", () => check(CRAWLER_KILL));

Deno.test("chaos: Redis restarted mid-crawl (append-only file) loses no page", () =>
  check(REDIS_RESTART));
