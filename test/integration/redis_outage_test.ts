/**
 * The Redis client policy against a Redis of its own that the test stops and starts again: a
 * command rejected during the outage is never executed after the reconnect, and the outage is
 * logged exactly once (one WARNING, one INFO with its duration).
 */
import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type { Redis } from "ioredis";
import { getLog } from "../../lib/config/mod.ts";
import { closeRedis, connectRedis, type RedisSettings } from "../../lib/services/mod.ts";
import { startRedis } from "../../lib/services/local/redis_server.ts";
import { freePort } from "../../lib/services/local/paths.ts";
import type { ServerProcess } from "../../lib/services/local/process.ts";
import { eventually } from "../harness.ts";

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

async function ready(client: Redis): Promise<void> {
  await eventually(async () => (await client.ping()) === "PONG", {
    what: "the client reconnected",
    timeoutMs: 20_000,
  });
}

Deno.test("connectRedis(): a command rejected during an outage is not executed after the reconnect", async () => {
  const redis = await ownRedis();
  const client = await connectRedis(redis.settings, "outage-test");
  try {
    await client.set("before", "1");
    await redis.stop();
    await eventually(() => client.status !== "ready", { what: "the client saw the outage" });
    const rejected = await client.incr("counted").then(() => false, () => true);
    assert.ok(rejected, "INCR during the outage is rejected");
    const rejectedPipeline = await client.pipeline().incr("piped").exec().then(
      (results) => results?.some(([err]) => err !== null) ?? true,
      () => true,
    );
    assert.ok(rejectedPipeline, "a pipeline during the outage is rejected");

    await redis.start();
    await ready(client);
    // Whatever ioredis may still hold would have been sent right after the reconnect.
    await client.ping();
    assert.equal(await client.get("counted"), null, "the rejected INCR never ran");
    assert.equal(await client.get("piped"), null, "the rejected pipeline never ran");
  } finally {
    await closeRedis(client);
    await redis.cleanup();
  }
});

Deno.test("connectRedis(): an outage is logged as exactly one WARNING and one INFO", async () => {
  const records = await captureLogs();
  const redis = await ownRedis();
  const client = await connectRedis(redis.settings, "outage-log-test", {
    outage: { log: getLog("outage-log-test"), meanwhile: "pausing, will retry" },
  });
  try {
    await redis.stop();
    // Commands keep failing meanwhile, and ioredis keeps failing to reconnect.
    await eventually(async () => {
      await client.ping().catch(() => {});
      return records.some((r) => r.level === "warning");
    }, { what: "the warning" });
    for (let i = 0; i < 10; i++) {
      await client.ping().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
    await redis.start();
    await ready(client);
    await eventually(() => records.some((r) => r.level === "info"), { what: "the info line" });
    const warnings = records.filter((r) => r.level === "warning" || r.level === "error");
    const infos = records.filter((r) => r.level === "info");
    assert.equal(warnings.length, 1, `one warning: ${JSON.stringify(warnings.map(text))}`);
    assert.equal(infos.length, 1, `one info: ${JSON.stringify(infos.map(text))}`);
    assert.match(text(warnings[0]), /outage-log-test: Redis unreachable at 127\.0\.0\.1:\d+\/0/);
    assert.match(text(warnings[0]), /pausing, will retry/);
    assert.match(text(infos[0]), /outage-log-test: Redis back at .* after \d+\.\d s/);
  } finally {
    await closeRedis(client);
    await redis.cleanup();
    await reset();
  }
});

function text(r: LogRecord): string {
  return r.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}
