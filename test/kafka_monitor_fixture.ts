/**
 * The kafka-monitor's message processing against the real Redis, for its integration tests:
 * its settings on the test services, and a fixture with a fresh spider id and stats component,
 * the configured plugins loaded, and everything it wrote deleted afterwards.
 *
 * @module
 */

import { getLog, loadSettings } from "../lib/config/mod.ts";
import { StatsCollector } from "../lib/stats/mod.ts";
import { deleteKeysContaining, randomName, serviceEnv, testRedis } from "./harness.ts";
import { type Outcome, processMessages } from "../components/kafka-monitor/process.ts";
import { loadPlugins } from "../components/kafka-monitor/plugin.ts";
import { KAFKA_MONITOR_SETTINGS } from "../components/kafka-monitor/settings.ts";

export const log = getLog("kafka-monitor", "test");

/** The kafka-monitor's settings on the test services (offsets committed every 100 ms). */
export function settingsFor(overrides: Record<string, unknown> = {}) {
  const env = serviceEnv();
  return loadSettings(KAFKA_MONITOR_SETTINGS, {
    env: { REDIS_URL: env.REDIS_URL, KAFKA_HOSTS: env.KAFKA_HOSTS },
    overrides: { KAFKA_CONSUMER_COMMIT_INTERVAL_MS: 100, ...overrides },
  });
}

/** A Redis client, a random spider id and stats component, cleaned up afterwards. */
export async function withFixture(
  fn: (f: {
    redis: ReturnType<typeof testRedis>;
    spider: string;
    process: (raw: (string | null)[]) => Promise<Outcome[]>;
    stats: StatsCollector;
  }) => Promise<void>,
) {
  const redis = testRedis();
  const spider = randomName("spider");
  const component = randomName("km");
  const settings = settingsFor();
  const plugins = await loadPlugins(settings.PLUGINS, { settings, redis, log });
  const stats = new StatsCollector(component, [900]);
  try {
    await fn({
      redis,
      spider,
      stats,
      process: (raw) => processMessages(raw, { settings, redis, plugins, log, stats }),
    });
  } finally {
    await deleteKeysContaining(redis, spider);
    await deleteKeysContaining(redis, component);
    await redis.quit();
  }
}
