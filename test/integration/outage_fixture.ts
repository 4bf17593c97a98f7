/**
 * Fixtures of the outage tests: a Redis of the test's own that it can stop and start again on
 * the same port, and the log records captured in memory.
 *
 * @module
 */
import { configure, type LogRecord } from "@logtape/logtape";
import type { RedisSettings } from "../../lib/services/mod.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import type { ServerProcess } from "../../lib/services/local/process.ts";

/** A Redis of the test's own, restartable on the same port. */
export async function ownRedis(): Promise<{
  settings: RedisSettings;
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}> {
  const port = await freePort();
  const dir = await Deno.makeTempDir({ prefix: "redis-outage-" });
  let proc: ServerProcess | null = await startRedis(port, dir);
  return {
    settings: {
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: port,
      REDIS_DB: 0,
      REDIS_PASSWORD: null,
      REDIS_URL: null,
      // Short, so that on a client that queues commands offline they time out during the outage.
      REDIS_SOCKET_TIMEOUT: 0.5,
    },
    async stop() {
      await proc?.stop();
      proc = null;
    },
    async start() {
      proc = await startRedis(port, dir);
    },
    async cleanup() {
      await proc?.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Log records of the crawl-cluster categories, captured in memory. */
export async function captureLogs(): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { mem: (r) => records.push(r) },
    loggers: [
      { category: ["crawl-cluster"], sinks: ["mem"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  return records;
}
